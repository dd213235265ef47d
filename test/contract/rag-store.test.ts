/**
 * The retrieval feature's store on SQLite and PostgreSQL. Each run gets its own database (file
 * or schema), migrated with the feature's own migrations under its own migration table.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, type Migration } from 'kysely';
import { describe, expect, it } from 'vitest';
import pg from 'pg';
import type { SqlDialect } from '../../src/feature.js';
import { retrievalFeature } from '../../src/rag/retrieval.feature.js';
import { SqlRagStore } from '../../src/rag/store/rag.sql.js';
import { freshPgSchema } from '../helpers/services.js';
import { describeRagStoreContract } from './rag-store.contract.js';

function migrator(db: Kysely<any>, dialect: SqlDialect, schema?: string): Migrator {
  const migrations: Record<string, Migration> = retrievalFeature.migrations!(dialect);
  return new Migrator({
    db, provider: { getMigrations: async () => migrations },
    migrationTableName: 'retrieval_contract_migrations', migrationLockTableName: 'retrieval_contract_migrations_lock',
    ...(schema ? { migrationTableSchema: schema } : {}),
  });
}

async function migrated(db: Kysely<any>, dialect: SqlDialect, schema?: string): Promise<SqlRagStore> {
  const { error } = await migrator(db, dialect, schema).migrateToLatest();
  if (error) throw error;
  return new SqlRagStore(db);
}

/** Documents of per-user collections stored before the owner column get their owner from `userId`. */
async function ownerBackfill(db: Kysely<any>, dialect: SqlDialect, schema?: string): Promise<Array<string | null>> {
  const { error } = await migrator(db, dialect, schema).migrateTo('007_rag_collection_sources');
  if (error) throw error;
  const settings = (scope?: string) => JSON.stringify({ textFields: ['text'], metadata: {}, chunking: { size: 1200, overlap: 150, markdown: true }, language: 'auto', sources: [], ...(scope ? { scope } : {}) });
  const collection = (name: string, template: string | null, scope?: string) =>
    ({ tenant_id: 't1', name, template, settings: settings(scope), embedder_model: 'hash', dimension: 256, created_at: 1, updated_at: 1 });
  await db.insertInto('collections').values([collection('mine', null, 'user'), collection('old-events', 'user-events'), collection('kb', null, 'shared')]).execute();
  const document = (collectionName: string, id: string, fields: unknown) =>
    ({ tenant_id: 't1', collection: collectionName, id, fields: fields === null ? null : JSON.stringify(fields), content_hash: null, source_event_id: 'e', deleted: fields === null ? 1 : 0, updated_at: 1, writer: null });
  await db.insertInto('documents').values([
    document('mine', 'a', { text: 'x', userId: 'alice' }), document('mine', 'b', { text: 'x', userId: 7 }), document('mine', 'c', null),
    document('old-events', 'd', { text: 'x', userId: 'bob' }), document('kb', 'e', { text: 'x', userId: 'alice' }),
  ]).execute();
  const store = await migrated(db, dialect, schema);
  const owners = await Promise.all([['mine', 'a'], ['mine', 'b'], ['mine', 'c'], ['old-events', 'd'], ['kb', 'e']].map(async ([c, id]) => (await store.getDocument('t1', c!, id!))?.owner ?? null));
  return owners;
}

/** Collections stored before source types had their own table find them there after the upgrade. */
async function sourceTypesBackfill(db: Kysely<any>, dialect: SqlDialect, schema?: string): Promise<string[]> {
  const { error } = await migrator(db, dialect, schema).migrateTo('006_rag_document_writer');
  if (error) throw error;
  const sources = (types: string[]) => JSON.stringify({ textFields: ['text'], metadata: {}, chunking: { size: 1200, overlap: 150, markdown: true }, language: 'auto', sources: types.map((type) => ({ type, op: 'upsert', idField: 'id' })) });
  await db.insertInto('collections').values([
    { tenant_id: 't1', name: 'a', template: null, settings: sources(['x.created', 'y.created']), embedder_model: 'hash', dimension: 256, created_at: 1, updated_at: 1 },
    { tenant_id: 't2', name: 'b', template: null, settings: sources(['x.created']), embedder_model: 'hash', dimension: 256, created_at: 1, updated_at: 1 },
  ]).execute();
  return (await migrated(db, dialect, schema)).sourceTypes();
}

describeRagStoreContract('sqlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'eventrag-rag-store-'));
  const db = new Kysely<any>({ dialect: new SqliteDialect({ database: new BetterSqlite3(join(dir, 'rag.db')) }) });
  return {
    store: await migrated(db, 'sqlite'),
    async teardown() {
      await db.destroy();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

describeRagStoreContract('postgres', async () => {
  const schema = await freshPgSchema();
  const pool = new pg.Pool({ connectionString: schema.connectionString, max: 4, options: `-c search_path=${schema.schema}` });
  const db = new Kysely<any>({ dialect: new PostgresDialect({ pool }) });
  return {
    store: await migrated(db, 'postgres', schema.schema),
    async teardown() {
      await db.destroy();
      await schema.drop();
    },
  };
});

describe('retrieval migration 008 (document owner column)', () => {
  const expected = ['alice', null, null, 'bob', null];
  it('fills the owner of per-user collections\' documents on SQLite', async () => {
    const db = new Kysely<any>({ dialect: new SqliteDialect({ database: new BetterSqlite3(':memory:') }) });
    try {
      expect(await ownerBackfill(db, 'sqlite')).toEqual(expected);
    } finally {
      await db.destroy();
    }
  });

  it('fills the owner of per-user collections\' documents on PostgreSQL', async () => {
    const schema = await freshPgSchema();
    const db = new Kysely<any>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: schema.connectionString, max: 2, options: `-c search_path=${schema.schema}` }) }) });
    try {
      expect(await ownerBackfill(db, 'postgres', schema.schema)).toEqual(expected);
    } finally {
      await db.destroy();
      await schema.drop();
    }
  });
});

describe('retrieval migration 007 (source types table)', () => {
  it('backfills the source types of existing collections on SQLite', async () => {
    const db = new Kysely<any>({ dialect: new SqliteDialect({ database: new BetterSqlite3(':memory:') }) });
    try {
      expect((await sourceTypesBackfill(db, 'sqlite')).sort()).toEqual(['x.created', 'y.created']);
    } finally {
      await db.destroy();
    }
  });

  it('backfills the source types of existing collections on PostgreSQL', async () => {
    const schema = await freshPgSchema();
    const db = new Kysely<any>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: schema.connectionString, max: 2, options: `-c search_path=${schema.schema}` }) }) });
    try {
      expect((await sourceTypesBackfill(db, 'postgres', schema.schema)).sort()).toEqual(['x.created', 'y.created']);
    } finally {
      await db.destroy();
      await schema.drop();
    }
  });
});
