/**
 * Kysely's migrator introspects every schema of a PostgreSQL database before it migrates; a
 * table another schema drops meanwhile fails that query with undefined_table (42P01) before any
 * migration ran. runMigrator tries again then, and only then.
 */
import type { MigrationResultSet } from 'kysely';
import { describe, expect, it } from 'vitest';
import { runMigrator } from '../../src/adapters/sql/feature-migrations.js';

const undefinedTable = Object.assign(new Error('relation "t_x.consumer_replays" does not exist'), { code: '42P01' });

function migrator(outcomes: MigrationResultSet[]) {
  let calls = 0;
  return {
    get calls() { return calls; },
    migrateToLatest: async () => outcomes[Math.min(calls++, outcomes.length - 1)]!,
  };
}

describe('runMigrator', () => {
  it('tries again when introspection raced with a dropped table, and goes on', async () => {
    const m = migrator([{ error: undefinedTable }, { error: undefinedTable }, { results: [] }]);
    await runMigrator(m, 'identity');
    expect(m.calls).toBe(3);
  });

  it('tries again when a schema went meanwhile (invalid_schema_name)', async () => {
    const m = migrator([{ error: Object.assign(new Error('schema "t_y" does not exist'), { code: '3F000' }) }, { results: [] }]);
    await runMigrator(m, 'backbone');
    expect(m.calls).toBe(2);
  });

  it('gives up after five retries, naming the owner', async () => {
    const m = migrator([{ error: undefinedTable }]);
    await expect(runMigrator(m, 'identity')).rejects.toThrow('migration identity failed: relation "t_x.consumer_replays" does not exist');
    expect(m.calls).toBe(6);
  });

  it('does not retry other errors before a migration ran', async () => {
    const m = migrator([{ error: Object.assign(new Error('permission denied'), { code: '42501' }) }]);
    await expect(runMigrator(m, 'backbone')).rejects.toThrow('permission denied');
    expect(m.calls).toBe(1);
  });

  it('does not retry a failed migration, even with that code', async () => {
    const m = migrator([{ error: undefinedTable, results: [{ migrationName: '001_links', direction: 'Up', status: 'Error' }] }]);
    await expect(runMigrator(m, 'identity')).rejects.toThrow('migration identity/001_links failed');
    expect(m.calls).toBe(1);
  });
});
