import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import type { Database } from './db.types.js';
import { createSqlStore, type SqlStore } from './sql-store.js';

export interface SqliteStoreConfig {
  /** Database file, or ':memory:' for a throwaway store. */
  filename: string;
}

/**
 * The embedded store: one SQLite file in WAL mode. `synchronous = NORMAL` keeps every committed
 * transaction across a process crash (SIGKILL); only an OS crash can lose the last commits.
 */
export function createSqliteStore(config: SqliteStoreConfig): SqlStore {
  if (config.filename !== ':memory:') mkdirSync(dirname(config.filename), { recursive: true });
  const database = new BetterSqlite3(config.filename);
  database.pragma('journal_mode = WAL');
  database.pragma('synchronous = NORMAL');
  database.pragma('busy_timeout = 5000');
  database.pragma('cache_size = -65536');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database }) });
  return createSqlStore(db, 'sqlite');
}
