/**
 * The Store written once over Kysely; the SQLite and PostgreSQL factories differ only in the
 * Kysely dialect they hand in (and a few dialect switches inside the repositories).
 */
import { Migrator, type Kysely, type Migration } from 'kysely';
import type { Store } from '../../ports/store.port.js';
import type { Database } from './db.types.js';
import { sqlDeliveryStore, sqlEventStatsStore } from './deliveries.sql.js';
import { sqlEventStore, sqlOutboxStore } from './events.sql.js';
import { sqlApiKeyStore, sqlCatalogStore, sqlIdentityStore, sqlTenantStore } from './identity.sql.js';
import { migrationProvider, type SqlDialect } from './migrations.js';

/** Feature migrations (rag, memory, …) register here, so `eventrag migrate` runs them all. */
const featureMigrations: Array<(dialect: SqlDialect) => Record<string, Migration>> = [];

export function registerMigrations(provider: (dialect: SqlDialect) => Record<string, Migration>): void {
  featureMigrations.push(provider);
}

export interface SqlStore extends Store {
  /** The Kysely instance, for feature repositories that live beside their feature (rag, memory…). */
  readonly db: Kysely<Database>;
}

/**
 * `schema` (PostgreSQL): where the migration bookkeeping tables live. Kysely looks for them in
 * every schema unless told, so another schema's tables would be mistaken for this one's.
 */
export function createSqlStore(db: Kysely<Database>, dialect: SqlDialect, onClose: () => Promise<void> = async () => {}, schema?: string): SqlStore {
  const migrator = () => new Migrator({
    db,
    ...(schema ? { migrationTableSchema: schema } : {}),
    provider: migrationProvider(dialect, Object.assign({}, ...featureMigrations.map((provider) => provider(dialect)))),
  });
  return {
    dialect,
    db,
    async migrate() {
      const { error, results } = await migrator().migrateToLatest();
      if (error) {
        const failed = results?.find((r) => r.status === 'Error')?.migrationName;
        throw new Error(`migration ${failed ?? ''} failed: ${(error as Error).message}`, { cause: error });
      }
    },
    async ready() {
      try {
        const migrations = await migrator().getMigrations();
        const pending = migrations.filter((m) => m.executedAt === undefined).map((m) => m.name);
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
    events: sqlEventStore(db),
    outbox: sqlOutboxStore(db),
    deliveries: sqlDeliveryStore(db, dialect),
    identity: sqlIdentityStore(db, dialect),
    stats: sqlEventStatsStore(db),
  };
}
