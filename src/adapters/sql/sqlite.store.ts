import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect, type SqliteDatabase } from 'kysely';
import type { Database } from './db.types.js';
import { createSqlStore, type SqlStore } from './sql-store.js';

export interface SqliteStoreConfig {
  /** Database file, or ':memory:' for a throwaway store. */
  filename: string;
}

/** Prepared statements kept per SQL text; batch inserts of different sizes each have their own. */
const STATEMENT_CACHE_SIZE = 500;

/**
 * Kysely's SQLite driver prepares every query anew; on the event path (ingest, relay, claims,
 * consumers) that preparation cost as much as running the statements. This keeps the prepared
 * statements (least recently used out first) and hands them back when the same SQL comes again.
 * A statement still iterating a streamed result is busy, so that caller gets a fresh one.
 */
function cachingStatements(database: BetterSqlite3.Database): SqliteDatabase {
  const cache = new Map<string, BetterSqlite3.Statement>();
  return {
    prepare(sql: string) {
      const cached = cache.get(sql);
      if (cached && !cached.busy) {
        cache.delete(sql);
        cache.set(sql, cached);
        return cached;
      }
      const statement = database.prepare(sql);
      if (cached) return statement;
      cache.set(sql, statement);
      if (cache.size > STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value!);
      return statement;
    },
    close() {
      cache.clear();
      database.close();
    },
  };
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
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: cachingStatements(database) }) });
  return createSqlStore(db, 'sqlite');
}
