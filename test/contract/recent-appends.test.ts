/**
 * The store serves a process's consumers its own recent appends from memory (RecentAppends):
 * on SQLite and PostgreSQL, with two stores on one database (two processes), a reader walking
 * the log with readAfter sees every event once, in position order, including those the other
 * process appended in between, and each entry equals what a fresh read of the database gives.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createPostgresStore } from '../../src/adapters/sql/postgres.store.js';
import { RecentAppends } from '../../src/adapters/sql/recent-appends.js';
import type { SqlStore } from '../../src/adapters/sql/sql-store.js';
import { createSqliteStore } from '../../src/adapters/sql/sqlite.store.js';
import type { LogEntry } from '../../src/ports/events.types.js';
import { freshPgSchema } from '../helpers/services.js';
import { T0, makeEvent, newTenant } from './store.fixtures.js';

async function walk(store: SqlStore, after: number): Promise<LogEntry[]> {
  const seen: LogEntry[] = [];
  for (let position = after; ;) {
    const batch = await store.events.readAfter(position, 4);
    if (batch.length === 0) return seen;
    seen.push(...batch);
    position = batch.at(-1)!.seq;
  }
}

async function checkTwoWriters(a: SqlStore, b: SqlStore): Promise<void> {
  await a.migrate();
  const tenant = await newTenant(a);
  const start = await a.events.head();
  let at = T0;
  const events = (n: number) => Array.from({ length: n }, () => makeEvent(tenant, (at += 1), { userId: 'u1', data: { n: at, text: 'Grüße ✓', nested: { list: [1, null, 'x'] } } }));
  const fromA1 = events(3);
  const fromB = events(2);
  const fromA2 = events(5);
  await a.events.append(fromA1, 0);
  await b.events.append(fromB, 0);
  await a.events.append(fromA2, 0);

  const seen = await walk(a, start);
  expect(seen.map((e) => e.seq)).toEqual(Array.from({ length: 10 }, (_, i) => start + i + 1));
  expect(seen.map((e) => e.id)).toEqual([...fromA1, ...fromB, ...fromA2].map((e) => e.id));
  // What b (which holds only its own two) reads from the database is what a served from memory.
  expect(await walk(b, start)).toEqual(seen);
  expect(seen.slice(0, 3)).toEqual(await b.events.getMany(fromA1.map((e) => e.id)).then((rows) => rows.sort((x, y) => x.seq - y.seq)));
}

describe('readAfter with recent appends held in memory', () => {
  it('two stores on one SQLite file: every event once, in order, equal to a database read', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'eventrag-recent-'));
    const [a, b] = [createSqliteStore({ filename: join(dir, 'store.db') }), createSqliteStore({ filename: join(dir, 'store.db') })];
    try {
      await checkTwoWriters(a, b);
    } finally {
      await a.close();
      await b.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('two stores on one PostgreSQL schema: the same', async () => {
    const pg = await freshPgSchema();
    const open = () => createPostgresStore({ connectionString: pg.connectionString, schema: pg.schema, maxConnections: 2 });
    const [a, b] = [open(), open()];
    try {
      await checkTwoWriters(a, b);
    } finally {
      await a.close();
      await b.close();
      await pg.drop();
    }
  });
});

describe('RecentAppends', () => {
  const entry = (seq: number) => ({ entry: { seq, id: `e${seq}` } as LogEntry, bytes: 100 });

  it('serves only a run of consecutive positions right after the reader\'s, up to the limit', () => {
    const recent = new RecentAppends();
    recent.add([1, 2, 3, 5, 6].map(entry));
    expect(recent.after(0, 10).map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(recent.after(0, 2).map((e) => e.seq)).toEqual([1, 2]);
    expect(recent.after(3, 10)).toEqual([]); // 4 is not held: the caller reads the store
    expect(recent.after(4, 10).map((e) => e.seq)).toEqual([5, 6]);
    expect(recent.after(6, 10)).toEqual([]);
    recent.clear();
    expect(recent.after(0, 10)).toEqual([]);
  });

  it('holds at most 8,192 entries and 16 MiB, dropping the oldest', () => {
    const recent = new RecentAppends();
    for (let seq = 1; seq <= 10_000; seq += 1) recent.add([entry(seq)]);
    expect(recent.after(0, 10)).toEqual([]);
    expect(recent.after(10_000 - 8_192, 1).map((e) => e.seq)).toEqual([10_000 - 8_192 + 1]);
    const big = new RecentAppends();
    big.add([{ entry: { seq: 1 } as LogEntry, bytes: 10 * 2 ** 20 }, { entry: { seq: 2 } as LogEntry, bytes: 10 * 2 ** 20 }]);
    expect(big.after(0, 10)).toEqual([]);
    expect(big.after(1, 10).map((e) => e.seq)).toEqual([2]);
  });
});
