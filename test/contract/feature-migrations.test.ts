/**
 * Feature migrations on SQLite and PostgreSQL: each feature's names are tracked in its own tables
 * (`<feature>_migrations`), after the backbone's, so names that interleave across features never
 * conflict; names a feature `adopts` move out of the backbone's table (earlier releases ran them
 * there) with their run times, and are not run again.
 */
import { Migrator, sql, type Kysely, type Migration } from 'kysely';
import { describe, expect, it } from 'vitest';
import { migrationsFor, type SqlDialect } from '../../src/adapters/sql/migrations.js';
import type { SqlStore } from '../../src/adapters/sql/sql-store.js';
import type { FeatureMigrations } from '../../src/ports/store.port.js';
import { withFreshStore } from '../helpers/upgrade-stores.js';

/** A migration that creates a table (and fails if run twice: no `if not exists`). */
const creates = (table: string): Migration => ({
  async up(db: Kysely<any>) {
    await db.schema.createTable(table).addColumn('id', 'text', (c) => c.primaryKey()).execute();
  },
});

const failing: Migration = { async up() { throw new Error('this migration fails'); } };

const featureA: FeatureMigrations = { name: 'fa', migrations: { '001_a': creates('fa_one'), '003_a': creates('fa_three') } };
const featureB: FeatureMigrations = { name: 'fb', migrations: { '002_b': creates('fb_two') } };

async function names(db: Kysely<any>, table: string): Promise<string[]> {
  return (await db.selectFrom(table).select('name').orderBy('name').execute()).map((r) => r.name as string);
}

async function tableNames(db: Kysely<any>, dialect: SqlDialect, schema?: string): Promise<string[]> {
  const { rows } = dialect === 'sqlite'
    ? await sql<{ name: string }>`select name from sqlite_master where type = 'table'`.execute(db)
    : await sql<{ name: string }>`select table_name as name from information_schema.tables where table_schema = ${schema!}`.execute(db);
  return rows.map((r) => r.name);
}

/**
 * What an earlier release did: one Migrator over the backbone's table, with feature migrations
 * mixed into its name space. `upTo` bounds the backbone names (the previous release had 001–006).
 */
async function migrateLikeEarlierRelease(store: SqlStore, dialect: SqlDialect, schema: string | undefined, extra: Record<string, Migration>): Promise<void> {
  const backbone = Object.fromEntries(Object.entries(migrationsFor(dialect)).filter(([name]) => name < '007'));
  const migrator = new Migrator({
    db: store.db, ...(schema ? { migrationTableSchema: schema } : {}),
    provider: { getMigrations: async () => ({ ...backbone, ...extra }) },
  });
  const { error } = await migrator.migrateToLatest();
  if (error) throw error;
}

const DIALECTS: SqlDialect[] = ['sqlite', 'postgres'];

describe.each(DIALECTS)('feature migrations on %s', (dialect) => {
  it('runs interleaving names of two features independently, each in its own table', async () => {
    await withFreshStore(dialect, async (store, _d, schema) => {
      await store.migrate([featureA, featureB]);
      const db = store.db as Kysely<any>;
      expect(await names(db, 'fa_migrations')).toEqual(['001_a', '003_a']);
      expect(await names(db, 'fb_migrations')).toEqual(['002_b']);
      const backbone = await names(db, 'kysely_migration');
      expect(backbone.some((n) => n.endsWith('_a') || n.endsWith('_b'))).toBe(false);
      expect(await tableNames(db, dialect, schema)).toEqual(expect.arrayContaining(['fa_one', 'fa_three', 'fb_two', 'fa_migrations_lock', 'fb_migrations_lock']));
      expect(await store.ready()).toEqual({ ok: true });
      // Again: nothing runs twice (the migrations would fail on their existing tables).
      await store.migrate([featureB, featureA]);
      expect(await store.ready()).toEqual({ ok: true });
    });
  });

  it('migrates a feature added later without touching the others', async () => {
    await withFreshStore(dialect, async (store) => {
      await store.migrate([featureA]);
      const db = store.db as Kysely<any>;
      const before = await db.selectFrom('fa_migrations').selectAll().orderBy('name').execute();
      await store.migrate([featureA, featureB]);
      expect(await db.selectFrom('fa_migrations').selectAll().orderBy('name').execute()).toEqual(before);
      expect(await names(db, 'fb_migrations')).toEqual(['002_b']);
    });
  });

  it('reports a feature\'s pending migrations in ready() when they failed', async () => {
    await withFreshStore(dialect, async (store) => {
      const broken: FeatureMigrations = { name: 'fc', migrations: { '001_c': failing } };
      await expect(store.migrate([featureA, broken])).rejects.toThrow(/fc\/001_c/);
      const ready = await store.ready();
      expect(ready.ok).toBe(false);
      expect(ready.detail).toContain('fc/001_c');
      expect(ready.detail).not.toContain('fa/');
    });
  });

  it('adopts names from the backbone\'s table with their run times and does not run them again', async () => {
    await withFreshStore(dialect, async (store, _d, schema) => {
      await migrateLikeEarlierRelease(store, dialect, schema, { '002_b': creates('fb_two') });
      const db = store.db as Kysely<any>;
      await db.insertInto('fb_two').values({ id: 'kept' }).execute();
      const [old] = await db.selectFrom('kysely_migration').select(['name', 'timestamp']).where('name', '=', '002_b').execute();
      expect(old).toBeDefined();

      await store.migrate([featureA, { ...featureB, adopts: ['002_b'] }]);
      expect(await db.selectFrom('fb_migrations').select(['name', 'timestamp']).execute()).toEqual([old]);
      expect(await names(db, 'kysely_migration')).not.toContain('002_b');
      expect((await db.selectFrom('fb_two').select('id').execute()).map((r) => r.id)).toEqual(['kept']);
      expect(await store.ready()).toEqual({ ok: true });
    });
  });

  it('starts a database whose backbone table holds feature names interleaved with the backbone\'s', async () => {
    // The previous release's shape: 002_rag_collections and 006_rag_document_writer among 001–006.
    const rag: Record<string, Migration> = { '002_rag_collections': creates('fr_collections'), '006_rag_document_writer': creates('fr_writer') };
    await withFreshStore(dialect, async (store, _d, schema) => {
      await migrateLikeEarlierRelease(store, dialect, schema, rag);
      // Without adoption Kysely refuses the backbone: the failure this design removes.
      await expect(store.migrate([])).rejects.toThrow(/previously executed migration 002_rag_collections is missing/);

      const retrieval: FeatureMigrations = {
        name: 'fr', adopts: ['002_rag_collections', '006_rag_document_writer'],
        migrations: { ...rag, '007_rag_later': creates('fr_later') },
      };
      await store.migrate([retrieval, featureB]);
      const db = store.db as Kysely<any>;
      expect(await names(db, 'fr_migrations')).toEqual(['002_rag_collections', '006_rag_document_writer', '007_rag_later']);
      expect(await names(db, 'kysely_migration')).toEqual(Object.keys(migrationsFor(dialect)).sort());
      expect(await store.ready()).toEqual({ ok: true });
    });
  });

  it('rejects feature names that cannot name a table, and a feature listed twice', async () => {
    await withFreshStore(dialect, async (store) => {
      await expect(store.migrate([{ name: 'Bad-Name', migrations: {} }])).rejects.toThrow(/must match/);
      await expect(store.migrate([featureA, featureA])).rejects.toThrow(/twice/);
    });
  });
});
