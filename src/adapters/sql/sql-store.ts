/**
 * The Store written once over Kysely; the SQLite and PostgreSQL factories differ only in the
 * Kysely dialect they hand in (and a few dialect switches inside the repositories).
 */
import type { Kysely } from 'kysely';
import type { FeatureMigrations, Store } from '../../ports/store.port.js';
import type { Database } from './db.types.js';
import { sqlFailureStore, sqlPositionStore, sqlReplayStore } from './consumers.sql.js';
import { sqlEventStore } from './events.sql.js';
import { sqlApiKeyStore, sqlCatalogStore, sqlTenantStore } from './identity.sql.js';
import { migrateAll, pendingMigrations } from './feature-migrations.js';
import { migrationProvider, type SqlDialect } from './migrations.js';

export interface SqlStore extends Store {
  /** The Kysely instance, for feature repositories that live beside their feature (rag, memory…). */
  readonly db: Kysely<Database>;
}

/**
 * `schema` (PostgreSQL): where the migration bookkeeping tables live. Kysely looks for them in
 * every schema unless told, so another schema's tables would be mistaken for this one's.
 */
export function createSqlStore(db: Kysely<Database>, dialect: SqlDialect, onClose: () => Promise<void> = async () => {}, schema?: string): SqlStore {
  const target = { db, dialect, ...(schema ? { schema } : {}) };
  let features: readonly FeatureMigrations[] = [];
  return {
    dialect,
    db,
    async migrate(list = []) {
      features = list;
      await migrateAll(target, migrationProvider(dialect), features);
    },
    async ready() {
      try {
        const pending = await pendingMigrations(target, migrationProvider(dialect), features);
        return pending.length === 0 ? { ok: true } : { ok: false, detail: `pending migrations: ${pending.join(', ')}` };
      } catch (error) {
        return { ok: false, detail: (error as Error).message };
      }
    },
    async close() {
      await db.destroy();
      await onClose();
    },
    tenants: sqlTenantStore(db),
    apiKeys: sqlApiKeyStore(db),
    catalog: sqlCatalogStore(db),
    events: sqlEventStore(db, dialect),
    positions: sqlPositionStore(db, dialect),
    failures: sqlFailureStore(db),
    replays: sqlReplayStore(db),
    transaction: (work) => db.transaction().execute((trx) => work({ db: trx, dialect })),
  };
}
