/**
 * Migration 007 on SQLite and PostgreSQL: the log becomes the outbox. A database of the previous
 * release has an outbox, one delivery row per event and consumer, and `consumer_applied`; after
 * the upgrade every event has its position in the log (in id order, without gaps), each consumer
 * a position just below the oldest event it had not finished or that was still in the outbox,
 * `done` rows for what it had finished above that position (so a count is not applied twice)
 * and `dead` rows for its dead deliveries; the old tables are gone.
 */
import type { Kysely } from 'kysely';
import { describe, expect, it } from 'vitest';
import { toEventRow } from '../../src/adapters/sql/rows.js';
import type { SqlStore } from '../../src/adapters/sql/sql-store.js';
import { migrateBackboneBefore, withFreshStore } from '../helpers/upgrade-stores.js';
import { T0, makeEvent } from './store.fixtures.js';

type OldStatus = 'pending' | 'processing' | 'failed' | 'done' | 'dead';

async function checkUpgrade(store: SqlStore, schema?: string): Promise<void> {
  await migrateBackboneBefore(store.db, schema ? 'postgres' : 'sqlite', '007', schema);
  const db = store.db as Kysely<any>;
  const tenantId = 'tenant-positions';
  // Inserted out of id order: positions follow the ids (the previous release's log order).
  const events = Array.from({ length: 7 }, (_, i) => makeEvent(tenantId, T0 + 10 * (i + 1), { userId: `u${i % 2}` }));
  for (const event of [...events].reverse()) await db.insertInto('events').values(toEventRow(event)).execute();
  const delivery = (consumer: string, i: number, status: OldStatus, attempts = 1) => ({
    consumer, event_id: events[i]!.id, tenant_id: tenantId, status, attempts,
    last_error: status === 'dead' || status === 'failed' ? 'boom' : null, next_attempt_at: status === 'failed' ? T0 : null,
    lease_until: null, ordering_key: null, updated_at: T0 + i,
  });
  await db.insertInto('deliveries').values([
    // stats: e0, e1 done; e2 failed; e3 done after it (skipped after the upgrade); e4 pending; e5 dead.
    delivery('stats', 0, 'done'), delivery('stats', 1, 'done'), delivery('stats', 2, 'failed', 2),
    delivery('stats', 3, 'done'), delivery('stats', 4, 'pending'), delivery('stats', 5, 'dead', 5),
    // indexer: everything it was given is finished; e4 died.
    delivery('indexer', 0, 'done'), delivery('indexer', 1, 'done'), delivery('indexer', 2, 'done'),
    delivery('indexer', 3, 'done'), delivery('indexer', 4, 'dead', 5), delivery('indexer', 5, 'done'),
  ]).execute();
  // e6 was appended but not yet relayed: it is only in the outbox.
  await db.insertInto('outbox').values({ event_id: events[6]!.id, tenant_id: tenantId, type: events[6]!.type, user_id: events[6]!.userId }).execute();
  await db.insertInto('consumer_applied').values({ consumer: 'stats', event_id: events[0]!.id, tenant_id: tenantId }).execute();

  await store.migrate();

  const seqs = (await store.events.getMany(events.map((e) => e.id))).map((e) => [e.id, e.seq] as const);
  expect(new Map(seqs)).toEqual(new Map(events.map((e, i) => [e.id, i + 1] as const)));
  expect(await store.events.head()).toBe(7);
  const positions = (await store.positions.list()).map((p) => [p.consumer, p.partition, p.position, p.owner]);
  // stats: below e2 (seq 3), its oldest unfinished; indexer: below e6 (seq 7), still in the outbox.
  expect(positions.sort()).toEqual([['indexer', 0, 6, null], ['stats', 0, 2, null]]);
  const rows = await db.selectFrom('consumer_failures').select(['consumer', 'event_id', 'seq', 'status', 'attempts', 'last_error']).execute();
  expect(rows.map((r) => [r.consumer, r.event_id, Number(r.seq), r.status, Number(r.attempts), r.last_error]).sort()).toEqual([
    ['indexer', events[4]!.id, 5, 'dead', 5, 'boom'],
    ['stats', events[3]!.id, 4, 'done', 1, null],
    ['stats', events[5]!.id, 6, 'dead', 5, 'boom'],
  ].sort());
  // What a consumer skips above its position: the carried-over rows (done and dead alike).
  expect((await store.failures.above('stats', 2, 10)).map((r) => r.eventId)).toEqual([events[3]!.id, events[5]!.id]);
  for (const table of ['outbox', 'deliveries', 'consumer_applied']) {
    await expect(db.selectFrom(table).selectAll().execute(), table).rejects.toThrow();
  }
  // The next append continues the log.
  const fresh = makeEvent(tenantId, T0 + 100);
  await store.events.append([fresh], 0);
  expect((await store.events.get(tenantId, fresh.id))?.seq).toBe(8);
}

describe('migration 007 (the log is the outbox)', () => {
  it('gives events their positions and consumers theirs on SQLite, carrying finished and dead deliveries over', async () => {
    await withFreshStore('sqlite', (store) => checkUpgrade(store));
  });

  it('does the same on PostgreSQL', async () => {
    await withFreshStore('postgres', (store, _dialect, schema) => checkUpgrade(store, schema));
  });
});
