/** Store contract: the consumers' exception rows (failed, parked, dead, done after failing) and replay cursors. */
import { describe, expect, it } from 'vitest';
import type { FailureRecord, ReplayCursor } from '../../src/ports/store.port.js';
import { T0, makeEvent, newConsumer, newTenant } from './store.fixtures.js';
import { appendEntries } from './store-log.contract.js';
import type { StoreGetter } from './store.contract.js';

const NOW = T0 + 10 * 60_000;

export function describeFailureContract(store: StoreGetter): void {
  /** `count` events of a new tenant and an exception row builder for a new consumer. */
  async function setup(count: number) {
    const tenant = await newTenant(store());
    const consumer = newConsumer();
    const entries = await appendEntries(store(), Array.from({ length: count }, (_, i) => makeEvent(tenant, T0 + i)));
    const row = (i: number, fields: Partial<FailureRecord> = {}): FailureRecord => ({
      consumer, eventId: entries[i]!.id, tenantId: tenant, seq: entries[i]!.seq, partition: 0, orderingKey: null,
      status: 'failed', attempts: 1, lastError: 'boom', nextAttemptAt: NOW, updatedAt: NOW, ...fields,
    });
    return { tenant, consumer, entries, row };
  }

  describe('failures: put, forEvent, remove', () => {
    it('inserts or replaces one consumer\'s row per event, visible per tenant only, errors cut to 2,000 characters', async () => {
      const { tenant, consumer, entries, row } = await setup(1);
      await store().failures.put([row(0)]);
      expect(await store().failures.forEvent(tenant, entries[0]!.id)).toEqual([row(0)]);
      const replaced = row(0, { attempts: 2, partition: 3, orderingKey: 'u1', lastError: 'e'.repeat(5_000), nextAttemptAt: NOW + 100, updatedAt: NOW + 1 });
      const other = { ...row(0), consumer: `${consumer}-z`, status: 'dead' as const, nextAttemptAt: null };
      await store().failures.put([replaced, other]);
      const rows = await store().failures.forEvent(tenant, entries[0]!.id);
      expect(rows.map((r) => r.consumer)).toEqual([consumer, other.consumer]);
      expect(rows[0]).toEqual({ ...replaced, lastError: 'e'.repeat(2_000) });
      expect(rows[1]).toEqual(other);
      expect(await store().failures.forEvent(await newTenant(store()), entries[0]!.id)).toEqual([]);
      await store().failures.put([]);
    });

    it('removes rows of one consumer, inside a transaction when given (and not when it rolls back)', async () => {
      const { tenant, consumer, entries, row } = await setup(3);
      await store().failures.put([row(0), row(1), row(2), { ...row(2), consumer: `${consumer}-z` }]);
      await store().failures.remove(consumer, [entries[0]!.id]);
      await expect(store().transaction(async (tx) => {
        await store().failures.remove(consumer, [entries[1]!.id], tx);
        throw new Error('undo');
      })).rejects.toThrow('undo');
      await store().transaction((tx) => store().failures.remove(consumer, [entries[2]!.id], tx));
      await store().failures.remove(consumer, []);
      const left = async (i: number) => (await store().failures.forEvent(tenant, entries[i]!.id)).map((r) => r.consumer);
      expect([await left(0), await left(1), await left(2)]).toEqual([[], [consumer], [`${consumer}-z`]]);
    });
  });

  describe('failures: what the runner reads back', () => {
    it('due: failed rows of the given partitions whose next attempt has come, oldest first, capped', async () => {
      const { consumer, entries, row } = await setup(6);
      await store().failures.put([
        row(4, { nextAttemptAt: NOW - 5 }), row(1, { nextAttemptAt: NOW }), row(0, { nextAttemptAt: NOW + 1 }),
        row(2, { partition: 1 }), row(3, { status: 'dead', nextAttemptAt: null }), row(5, { status: 'parked', attempts: 0, nextAttemptAt: null }),
      ]);
      const due = async (partitions: number[], now = NOW, limit = 10) => (await store().failures.due(consumer, partitions, now, limit)).map((r) => r.eventId);
      const id = (i: number) => entries[i]!.id;
      expect(await due([0])).toEqual([id(1), id(4)]);
      expect(await due([0], NOW, 1)).toEqual([id(1)]);
      expect(await due([0, 1])).toEqual([id(1), id(2), id(4)]);
      expect(await due([0], NOW + 1)).toEqual([id(0), id(1), id(4)]);
      expect(await due([])).toEqual([]);
      expect(await store().failures.due(newConsumer(), [0], NOW, 10)).toEqual([]);
    });

    it('blocking, parked and above: the rows a partition restarts from', async () => {
      const { consumer, entries, row } = await setup(6);
      const parked = (i: number, key: string) => row(i, { status: 'parked', attempts: 0, nextAttemptAt: null, orderingKey: key });
      await store().failures.put([
        parked(3, 'u1'), row(1, { orderingKey: 'u1' }), parked(2, 'u1'), parked(4, 'u2'), row(0, { status: 'done', orderingKey: 'u1' }),
        row(5, { status: 'dead', orderingKey: 'u2', nextAttemptAt: null }), row(5, { consumer: `${consumer}-z` }),
      ]);
      const ids = (rows: FailureRecord[]) => rows.map((r) => r.eventId);
      const id = (i: number) => entries[i]!.id;
      expect(ids(await store().failures.blocking(consumer, 0))).toEqual([id(1), id(2), id(3), id(4)]);
      expect(await store().failures.blocking(consumer, 1)).toEqual([]);
      expect(ids(await store().failures.parked(consumer, 0, 'u1', 10))).toEqual([id(2), id(3)]);
      expect(ids(await store().failures.parked(consumer, 0, 'u1', 1))).toEqual([id(2)]);
      expect(await store().failures.parked(consumer, 1, 'u1', 10)).toEqual([]);
      expect(ids(await store().failures.above(consumer, entries[2]!.seq, 10))).toEqual([id(3), id(4), id(5)]);
      expect(ids(await store().failures.above(consumer, entries[2]!.seq, 2))).toEqual([id(3), id(4)]);
      expect(await store().failures.above(consumer, entries[5]!.seq, 10)).toEqual([]);
    });

    it('counts failed, parked and dead rows per consumer with the oldest unsettled position, per tenant or all', async () => {
      const { tenant, consumer, entries, row } = await setup(5);
      await store().failures.put([
        row(3), row(1, { status: 'parked', attempts: 0 }), row(0, { status: 'dead' }), row(2, { status: 'done' }), row(4, { status: 'dead' }),
      ]);
      const other = await setup(1);
      await store().failures.put([{ ...other.row(0), consumer }]);
      const counts = async (t: string | null) => (await store().failures.counts(t)).find((c) => c.consumer === consumer);
      expect(await counts(tenant)).toEqual({ consumer, failed: 1, parked: 1, dead: 2, oldestSeq: entries[1]!.seq });
      expect(await counts(other.tenant)).toEqual({ consumer, failed: 1, parked: 0, dead: 0, oldestSeq: other.entries[0]!.seq });
      expect(await counts(null)).toEqual({ consumer, failed: 2, parked: 1, dead: 2, oldestSeq: entries[1]!.seq });
      expect(await counts(await newTenant(store()))).toBeUndefined();
      await store().failures.put([row(1, { status: 'done' }), row(3, { status: 'done' })]);
      expect(await counts(tenant)).toEqual({ consumer, failed: 0, parked: 0, dead: 2, oldestSeq: null });
    });

    it('retryDead makes a tenant\'s dead rows of one consumer failed and due now, attempts reset', async () => {
      const { tenant, consumer, entries, row } = await setup(3);
      const other = await setup(1);
      await store().failures.put([row(0, { status: 'dead', attempts: 5, nextAttemptAt: null }), row(1, { status: 'dead', nextAttemptAt: null }), row(2, { status: 'parked' })]);
      await store().failures.put([{ ...other.row(0), consumer, status: 'dead', nextAttemptAt: null }, { ...row(0), consumer: `${consumer}-z`, status: 'dead' }]);
      expect(await store().failures.retryDead(tenant, consumer, NOW + 7)).toBe(2);
      expect((await store().failures.forEvent(tenant, entries[0]!.id)).find((r) => r.consumer === consumer))
        .toMatchObject({ status: 'failed', attempts: 0, nextAttemptAt: NOW + 7, updatedAt: NOW + 7 });
      expect((await store().failures.due(consumer, [0], NOW + 7, 10)).map((r) => r.eventId)).toEqual([entries[0]!.id, entries[1]!.id]);
      expect(await store().failures.retryDead(tenant, consumer, NOW + 8)).toBe(0);
      expect((await store().failures.forEvent(other.tenant, other.entries[0]!.id))[0]?.status).toBe('dead');
      expect((await store().failures.forEvent(tenant, entries[0]!.id)).find((r) => r.consumer !== consumer)?.status).toBe('dead');
      expect((await store().failures.forEvent(tenant, entries[2]!.id))[0]?.status).toBe('parked');
    });
  });
}

export function describeReplayContract(store: StoreGetter): void {
  describe('replays', () => {
    const cursor = (fields: Partial<ReplayCursor> & Pick<ReplayCursor, 'id' | 'consumer' | 'tenantId'>): ReplayCursor => ({
      partition: 0, selection: { types: ['article.*'], userId: 'u1', from: T0, to: T0 + 5 }, position: 0, upTo: 50, createdAt: NOW, finishedAt: null, ...fields,
    });

    it('opens a cursor per partition, lists the open ones per partition or tenant, and finishes them', async () => {
      const [tenant, other] = [await newTenant(store()), await newTenant(store())];
      const consumer = newConsumer();
      const id = `replay-${consumer}`;
      const cursors = [cursor({ id, consumer, tenantId: tenant }), cursor({ id, consumer, tenantId: tenant, partition: 1, upTo: 40 })];
      const older = cursor({ id: `${id}-0`, consumer, tenantId: tenant, createdAt: NOW - 1, selection: {} });
      await store().replays.open([...cursors, older]);
      await store().replays.open([cursor({ id: `${id}-other`, consumer: `${consumer}-z`, tenantId: other })]);
      await store().replays.open([]);
      expect(await store().replays.active(consumer, [0])).toEqual([older, cursors[0]]);
      expect(await store().replays.active(consumer, [0, 1])).toHaveLength(3);
      expect(await store().replays.active(consumer, [2])).toEqual([]);
      expect(await store().replays.active(consumer, [])).toEqual([]);
      const open = async (t: string | null) => (await store().replays.openCursors(t)).filter((c) => c.consumer.startsWith(consumer));
      expect(await open(tenant)).toHaveLength(3);
      expect((await open(other)).map((c) => c.consumer)).toEqual([`${consumer}-z`]);
      expect(await open(null)).toHaveLength(4);

      await store().replays.advance(id, 0, 20, false, NOW + 1);
      expect((await store().replays.active(consumer, [0]))[1]).toEqual({ ...cursors[0], position: 20 });
      await expect(store().transaction(async (tx) => {
        await store().replays.advance(id, 0, 50, true, NOW + 2, tx);
        throw new Error('undo');
      })).rejects.toThrow('undo');
      expect(await store().replays.active(consumer, [0])).toHaveLength(2);
      await store().transaction((tx) => store().replays.advance(id, 0, 50, true, NOW + 3, tx));
      expect(await store().replays.active(consumer, [0])).toEqual([older]);
      expect(await store().replays.active(consumer, [1])).toEqual([cursors[1]]); // the other partition's cursor goes on
      expect(await open(tenant)).toHaveLength(2);
    });
  });
}
