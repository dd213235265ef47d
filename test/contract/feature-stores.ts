/**
 * For the feature contract suites: a migrated backbone store with every feature's tables on
 * SQLite (a temp file) and PostgreSQL (a fresh schema), and a helper that runs a projection's
 * batch the way the consumer runner does (inside one transaction of the store).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe } from 'vitest';
import { createPostgresStore } from '../../src/adapters/sql/postgres.store.js';
import type { SqlStore } from '../../src/adapters/sql/sql-store.js';
import { createSqliteStore } from '../../src/adapters/sql/sqlite.store.js';
import { migrationsOfFeatures } from '../../src/main.js';
import type { StoreTx } from '../../src/ports/store.port.js';
import { freshPgSchema } from '../helpers/services.js';

export type Dialect = 'sqlite' | 'postgres';

export interface FeatureStoreHarness {
  store: () => SqlStore;
  /** Runs `work` in one transaction, handing it the StoreTx a projection gets. */
  inTx: <T>(work: (tx: StoreTx) => Promise<T>) => Promise<T>;
}

async function open(dialect: Dialect): Promise<{ store: SqlStore; teardown: () => Promise<void> }> {
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'eventrag-feature-'));
    const store = createSqliteStore({ filename: join(dir, 'store.db') });
    return { store, teardown: async () => { await store.close(); rmSync(dir, { recursive: true, force: true }); } };
  }
  const pg = await freshPgSchema();
  const store = createPostgresStore({ connectionString: pg.connectionString, schema: pg.schema, maxConnections: 8 });
  return { store, teardown: async () => { await store.close(); await pg.drop(); } };
}

/** Declares `suite` once per dialect, each with its own migrated store. */
export function describeOnEachDialect(title: string, suite: (harness: FeatureStoreHarness, dialect: Dialect) => void): void {
  for (const dialect of ['sqlite', 'postgres'] as const) {
    describe(`${title}: ${dialect}`, () => {
      let opened: Awaited<ReturnType<typeof open>> | undefined;
      const store = () => {
        if (!opened) throw new Error('store not open');
        return opened.store;
      };
      beforeAll(async () => {
        opened = await open(dialect);
        await opened.store.migrate(migrationsOfFeatures(dialect));
      });
      afterAll(async () => { await opened?.teardown(); });
      const inTx = <T>(work: (tx: StoreTx) => Promise<T>) =>
        (store().db as Kysely<any>).transaction().execute((trx) => work({ db: trx, dialect }));
      suite({ store, inTx }, dialect);
    });
  }
}
