/**
 * `eventrag migrate` on a database written by the previous release: the feature migrations the
 * backbone's table held move to their feature's table (with their run times, not run again) and
 * every feature's migrations are recorded under its name. A second run changes nothing.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { migrationsOfFeatures } from '../../src/main.js';

const run = promisify(execFile);
const BIN = new URL('../../bin/eventrag', import.meta.url).pathname;
const FIXTURE = new URL('../fixtures/upgrade/previous-release.sqlite', import.meta.url).pathname;
const dataDir = mkdtempSync(join(tmpdir(), 'eventrag-cli-upgrade-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const rows = (table: string) => {
  const db = new BetterSqlite3(join(dataDir, 'eventrag.db'), { readonly: true });
  try {
    return db.prepare(`select name, timestamp from ${table} order by name`).all() as Array<{ name: string; timestamp: string }>;
  } finally {
    db.close();
  }
};

describe('eventrag migrate on the previous release\'s database', () => {
  it('adopts the retrieval migrations, and records every feature\'s migrations under its name', { timeout: 60_000 }, async () => {
    copyFileSync(FIXTURE, join(dataDir, 'eventrag.db'));
    const before = rows('kysely_migration').filter((r) => r.name.includes('_rag_'));
    expect(before.map((r) => r.name)).toEqual(['002_rag_collections', '006_rag_document_writer']);

    const env = { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: 'warn' };
    const { stderr } = await run(process.execPath, [BIN, 'migrate'], { env });
    expect(stderr).toContain('migrations are current');
    expect(rows('kysely_migration').some((r) => r.name.includes('_rag_'))).toBe(false);
    expect(rows('retrieval_migrations').filter((r) => before.some((b) => b.name === r.name))).toEqual(before);

    const again = await run(process.execPath, [BIN, 'migrate'], { env });
    expect(again.stderr).toContain('migrations are current');

    for (const feature of migrationsOfFeatures('sqlite')) {
      expect(rows(`${feature.name}_migrations`).map((r) => r.name), feature.name).toEqual(Object.keys(feature.migrations).sort());
    }
  });
});
