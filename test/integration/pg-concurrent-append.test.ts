/**
 * PostgreSQL commits concurrent transactions in any order, so a reader that moves its position
 * past seq N could skip an event with a lower seq that commits later. Appends hand out positions
 * under one lock, so that never happens. These tests read the log exactly as a consumer does
 * (`readAfter(position)`, then the position moves to the last seq read) while several appenders
 * race; and they show, with two hand-held transactions, the skip an append without the lock
 * lets happen and the wait the store's append makes instead. Each check has two readers: one on
 * the appenders' store (served partly from its recent appends in memory) and one on a store of
 * its own (a consumer in another process, reading the database only).
 */
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresStore } from '../../src/adapters/sql/postgres.store.js';
import { toEventRow } from '../../src/adapters/sql/rows.js';
import type { SqlStore } from '../../src/adapters/sql/sql-store.js';
import type { EventRecord, LogEntry } from '../../src/ports/events.types.js';
import { eventually } from '../helpers/app.js';
import { freshPgSchema, type FreshPgSchema } from '../helpers/services.js';
import { makeEvent } from '../contract/store.fixtures.js';

/** Reads the log like a consumer: from its position, which then moves to the last seq it got. */
class LogReader {
  position: number;
  readonly seen: LogEntry[] = [];
  /** Entries at or below a position the reader had already passed (must stay empty). */
  readonly behind: LogEntry[] = [];
  reads = 0;

  constructor(private readonly store: SqlStore, from: number) {
    this.position = from;
  }

  async step(limit = 64): Promise<number> {
    const entries = await this.store.events.readAfter(this.position, limit);
    this.reads += 1;
    for (const entry of entries) {
      if (entry.seq <= this.position) this.behind.push(entry);
      this.seen.push(entry);
      this.position = Math.max(this.position, entry.seq);
    }
    return entries.length;
  }

  async drain(): Promise<void> {
    while ((await this.step()) > 0);
  }
}

/** A small deterministic generator, so a failing run can be repeated. */
function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

describe('PostgreSQL: concurrent appends and a reader that moves its position', () => {
  let pgSchema: FreshPgSchema;
  let store: SqlStore;
  /** Another process's store on the same schema: its reads all go to the database. */
  let elsewhere: SqlStore;
  let tenant: string;
  /** Names this run's pool connections in pg_stat_activity. */
  const appName = `append-${randomBytes(4).toString('hex')}`;
  let at = Date.UTC(2025, 0, 1);
  const event = (fields: Partial<EventRecord> = {}) => makeEvent(tenant, (at += 1), fields);

  /** A connection of its own, outside the store's pool, for a transaction the test holds open. */
  async function client(): Promise<pg.Client> {
    const c = new pg.Client({ connectionString: pgSchema.connectionString, options: `-c search_path=${pgSchema.schema}` });
    await c.connect();
    return c;
  }

  beforeAll(async () => {
    pgSchema = await freshPgSchema('append');
    const url = new URL(pgSchema.connectionString);
    url.searchParams.set('application_name', appName);
    store = createPostgresStore({ connectionString: url.toString(), schema: pgSchema.schema, maxConnections: 12 });
    await store.migrate();
    elsewhere = createPostgresStore({ connectionString: pgSchema.connectionString, schema: pgSchema.schema, maxConnections: 2 });
    tenant = (await store.tenants.ensure('append-race')).tenant.id;
  });

  afterAll(async () => {
    await store?.close();
    await elsewhere?.close();
    await pgSchema?.drop();
  });

  it('8 appenders with batches of 1–20: the reader sees every event once, in increasing seq, never behind its position', async () => {
    const head = await store.events.head();
    const readers = [new LogReader(store, head), new LogReader(elsewhere, head)];
    const appended: string[] = [];
    let appending = true;
    const readsWhileAppending = [0, 0];
    const readLoops = readers.map(async (reader, r) => {
      while (appending) {
        if ((await reader.step()) > 0) readsWhileAppending[r]! += 1;
        await new Promise((resolve) => setImmediate(resolve));
      }
    });
    const appender = async (id: number) => {
      const random = lcg(id + 1);
      for (let round = 0; round < 25; round++) {
        const batch = Array.from({ length: 1 + Math.floor(random() * 20) }, (_, i) => event({ data: { appender: id, round, i } }));
        await store.events.append(batch, 0);
        appended.push(...batch.map((e) => e.id));
      }
    };
    try {
      await Promise.all(Array.from({ length: 8 }, (_, id) => appender(id)));
    } finally {
      appending = false;
      await Promise.all(readLoops);
    }
    for (const [r, reader] of readers.entries()) {
      await reader.drain();
      expect(reader.behind).toEqual([]);
      const seenIds = reader.seen.map((e) => e.id);
      expect(seenIds).toHaveLength(appended.length);
      expect(new Set(seenIds)).toEqual(new Set(appended));
      const seqs = reader.seen.map((e) => e.seq);
      expect(seqs).toEqual(seqs.map((_, i) => seqs[0]! + i)); // increasing and gap-free
      // The race was real: the reader read while appends went on, and the appenders' commits interleave.
      expect(readsWhileAppending[r]).toBeGreaterThan(5);
      const appenders = reader.seen.map((e) => (e.data as { appender: number }).appender);
      expect(appenders.filter((a, i) => i > 0 && a !== appenders[i - 1]).length).toBeGreaterThan(50);
    }
    expect(readers[1]!.seen).toEqual(readers[0]!.seen);
  });

  it('an append that takes a sequence value without the lock commits below the reader\'s position, and the reader skips it', async () => {
    const [a, b] = [await client(), await client()];
    try {
      const reader = new LogReader(store, await store.events.head());
      await a.query(`create sequence unlocked_seq start with ${reader.position + 1}`);
      const insert = (e: EventRecord) => store.db.insertInto('events').values({ ...toEventRow(e), seq: sql<number>`nextval('unlocked_seq')` }).compile();
      const [slow, fast] = [event({ data: { who: 'slow' } }), event({ data: { who: 'fast' } })];
      await a.query('begin');
      const q1 = insert(slow);
      await a.query(q1.sql, [...q1.parameters]); // takes position+1, then stays open
      await b.query('begin');
      const q2 = insert(fast);
      await b.query(q2.sql, [...q2.parameters]); // takes position+2 and commits first
      await b.query('commit');
      await reader.step();
      await a.query('commit');
      await reader.drain();

      expect((await store.events.get(tenant, slow.id))?.seq).toBeLessThan((await store.events.get(tenant, fast.id))!.seq);
      expect(reader.seen.map((e) => e.id)).toEqual([fast.id]); // `slow` is in the log, below the position: skipped for ever
    } finally {
      await Promise.all([a.end(), b.end()]);
    }
  });

  it('the same interleaving through the store\'s append: the second appender waits for the first, the reader skips nothing', async () => {
    const hold = 900_000_000 + Math.floor(Math.random() * 1_000_000);
    const holder = await client();
    const appends: Array<Promise<unknown>> = [];
    try {
      // Inserts of events marked `held` wait for a lock the test holds, inside the append's transaction.
      await holder.query(`create function hold_marked_append() returns trigger language plpgsql as $$
        begin if new.source = 'held' then perform pg_advisory_xact_lock(${hold}); end if; return new; end $$`);
      await holder.query('create trigger hold_marked_append before insert on events for each row execute function hold_marked_append()');
      await holder.query('select pg_advisory_lock($1)', [hold]);
      const head = await store.events.head();
      const readers = [new LogReader(store, head), new LogReader(elsewhere, head)];
      const [slow, fast] = [event({ source: 'held' }), event()];
      const first = store.events.append([slow], 0);
      appends.push(first);
      await eventually(async () => (await lockWaits(holder, appName)).length >= 1); // `slow` has its position and waits
      let fastDone = false;
      const second = store.events.append([fast], 0).then((r) => { fastDone = true; return r; });
      appends.push(second);
      await eventually(async () => fastDone || (await lockWaits(holder, appName)).length >= 2);
      expect(fastDone).toBe(false);
      expect(await lockWaits(holder, appName)).toEqual(['advisory', 'advisory']); // the append lock `slow` holds until it commits
      for (const reader of readers) expect(await reader.step()).toBe(0);
      await holder.query('select pg_advisory_unlock($1)', [hold]);
      await Promise.all([first, second]);
      for (const reader of readers) {
        await reader.drain();
        expect(reader.seen.map((e) => e.id)).toEqual([slow.id, fast.id]);
        expect(reader.seen.map((e) => e.seq)).toEqual([reader.seen[0]!.seq, reader.seen[0]!.seq + 1]);
      }
    } finally {
      // Let held appends finish before the trigger goes (dropping it waits for their transactions).
      await holder.query('select pg_advisory_unlock_all()');
      await Promise.allSettled(appends);
      await holder.query('drop trigger if exists hold_marked_append on events').catch(() => {});
      await holder.end();
    }
  });
});

/** What the backends of this run's pool that wait for a lock wait for (`advisory`, `transactionid`…). */
async function lockWaits(client: pg.Client, appName: string): Promise<string[]> {
  const { rows } = await client.query<{ wait_event: string }>(
    `select wait_event from pg_stat_activity where application_name = $1 and wait_event_type = 'Lock' order by wait_event`, [appName]);
  return rows.map((r) => r.wait_event);
}
