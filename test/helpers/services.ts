/**
 * Where the integration suites find the real services (PostgreSQL, Redis, NATS JetStream).
 * One place for the settings: `TEST_DATABASE_URL`, `TEST_REDIS_URL`, `TEST_NATS_URL`, with the
 * local development defaults (all on 127.0.0.1, standard ports).
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** PostgreSQL connection string for tests (`TEST_DATABASE_URL`, then `DATABASE_URL`, then the local `test` database). */
export function postgresUrl(): string {
  return process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
}

/** Redis URL for tests (`TEST_REDIS_URL`, default the local server). */
export function redisUrl(): string {
  return process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
}

/** NATS URL for tests (`TEST_NATS_URL`, default the local JetStream server). */
export function natsUrl(): string {
  return process.env.TEST_NATS_URL ?? 'nats://127.0.0.1:4222';
}

/** A short random lowercase suffix for names that must be unique per run (schemas, streams, key prefixes). */
export function uniqueSuffix(bytes = 5): string {
  return randomBytes(bytes).toString('hex');
}

export interface FreshPgSchema {
  /** Name of the new, empty schema (`t_<random>`). */
  schema: string;
  connectionString: string;
  /** Drops the schema and everything in it. */
  drop(): Promise<void>;
}

/** Creates an empty schema with a unique name for one test run; call `drop()` after. */
export async function freshPgSchema(prefix = 't'): Promise<FreshPgSchema> {
  const schema = `${prefix}_${uniqueSuffix()}`;
  const connectionString = postgresUrl();
  await adminQuery(connectionString, `create schema "${schema}"`);
  return {
    schema,
    connectionString,
    drop: () => adminQuery(connectionString, `drop schema if exists "${schema}" cascade`),
  };
}

async function adminQuery(connectionString: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}
