/**
 * For upgrade tests: a fresh store on each dialect (a temp SQLite file, an empty PostgreSQL
 * schema), handed to `work` with its dialect and schema, then closed and removed. The test
 * migrates it to an older version by hand and checks what the current migrations make of it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Migrator, type Kysely } from 'kysely';
import { migrationsFor, type SqlDialect } from '../../src/adapters/sql/migrations.js';
import { createPostgresStore } from '../../src/adapters/sql/postgres.store.js';
import type { SqlStore } from '../../src/adapters/sql/sql-store.js';
import { createSqliteStore } from '../../src/adapters/sql/sqlite.store.js';
import { freshPgSchema } from './services.js';

export type UpgradeWork = (store: SqlStore, dialect: SqlDialect, schema?: string) => Promise<void>;

export async function withFreshStore(dialect: SqlDialect, work: UpgradeWork): Promise<void> {
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'eventrag-migration-'));
    const store = createSqliteStore({ filename: join(dir, 'store.db') });
    try {
      await work(store, 'sqlite');
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
    return;
  }
  const pg = await freshPgSchema();
  const store = createPostgresStore({ connectionString: pg.connectionString, schema: pg.schema, maxConnections: 2 });
  try {
    await work(store, 'postgres', pg.schema);
  } finally {
    await store.close();
    await pg.drop();
  }
}

/** Runs the backbone's migrations whose names sort before `before` (e.g. '007'): the schema of an older release. */
export async function migrateBackboneBefore(db: Kysely<any>, dialect: SqlDialect, before: string, schema?: string): Promise<void> {
  const all = migrationsFor(dialect);
  const names = Object.keys(all).filter((name) => name < before);
  const migrator = new Migrator({
    db, ...(schema ? { migrationTableSchema: schema } : {}),
    provider: { getMigrations: async () => Object.fromEntries(names.map((name) => [name, all[name]!])) },
  });
  const { error } = await migrator.migrateToLatest();
  if (error) throw error;
}
