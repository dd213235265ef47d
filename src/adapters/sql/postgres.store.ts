import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Database } from './db.types.js';
import { createSqlStore, type SqlStore } from './sql-store.js';

// int8 (bigint, count(*)) as JavaScript numbers: our values are epoch milliseconds and counts, far below 2^53.
pg.types.setTypeParser(20, (value) => Number(value));

export interface PostgresStoreConfig {
  connectionString: string;
  /** Pool size per process. */
  maxConnections?: number;
  /** Schema to use (created if missing); tests give each run its own. */
  schema?: string;
  /**
   * Told when an idle pooled connection fails (the server restarted, the network dropped it).
   * The pool replaces the connection; without a listener pg would throw it at the process.
   */
  onConnectionError?: (error: Error) => void;
}

export function createPostgresStore(config: PostgresStoreConfig): SqlStore {
  const pool = new pg.Pool({
    connectionString: config.connectionString,
    max: config.maxConnections ?? 10,
    // An unreachable server fails requests after this long (503 STORE_UNAVAILABLE) instead of hanging them.
    connectionTimeoutMillis: 5_000,
    ...(config.schema ? { options: `-c search_path=${config.schema}` } : {}),
  });
  // Idle connections report to the pool; connections checked out by a query report to
  // themselves, and an 'error' event with no listener would be thrown at the process.
  pool.on('error', (error) => config.onConnectionError?.(error));
  pool.on('connect', (client) => client.on('error', (error) => config.onConnectionError?.(error)));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  const store = createSqlStore(db, 'postgres', undefined, config.schema);
  if (!config.schema) return store;
  const schema = config.schema;
  return {
    ...store,
    async migrate(features) {
      await pool.query(`create schema if not exists "${schema.replace(/"/g, '')}"`);
      await store.migrate(features);
    },
  };
}
