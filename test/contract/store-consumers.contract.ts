/** Store contract: consumer positions per partition and the leases on them, and Store.transaction. */
import { describe, expect, it } from 'vitest';
import type { ConsumerPosition } from '../../src/ports/store.port.js';
import { T0, makeEvent, newConsumer, newTenant } from './store.fixtures.js';
import { describeFailureContract, describeReplayContract } from './store-failures.contract.js';
import type { StoreGetter } from './store.contract.js';

const NOW = T0 + 10 * 60_000;
const LEASE = 1_000;

export function describeConsumerContract(store: StoreGetter): void {
  const positions = async (consumer: string) => (await store().positions.list(consumer)).map((p) => [p.partition, p.position, p.owner]);
  const owners = async (consumer: string) => new Map((await store().positions.list(consumer)).map((p) => [p.partition, p.owner]));

  describe('positions.ensure and list', () => {
    it('creates a new consumer\'s partitions at the start position, unowned, and is idempotent', async () => {
      const consumer = newConsumer();
      await store().positions.ensure(consumer, 3, 7, NOW);
      const rows = await store().positions.list(consumer);
      expect(rows).toEqual([0, 1, 2].map((partition): ConsumerPosition => ({
        consumer, partition, position: 7, owner: null, leaseUntil: null, updatedAt: NOW,
      })));
      await store().positions.ensure(consumer, 3, 99, NOW + 1);
      expect(await store().positions.list(consumer)).toEqual(rows);
      expect(await store().positions.list(newConsumer())).toEqual([]);
      expect((await store().positions.list()).filter((p) => p.consumer === consumer)).toEqual(rows);
    });

    it('starts an added partition at the lowest existing position, so no event of its keys is skipped', async () => {
      const consumer = newConsumer();
      await store().positions.ensure(consumer, 2, 0, NOW);
      expect(await store().positions.acquire(consumer, 'a', NOW, LEASE, 2)).toEqual([0, 1]);
      await store().positions.advance(consumer, 0, 'a', { from: 0, to: 40 }, NOW);
      await store().positions.advance(consumer, 1, 'a', { from: 0, to: 25 }, NOW);
      await store().positions.ensure(consumer, 4, 0, NOW);
      expect(await positions(consumer)).toEqual([[0, 40, 'a'], [1, 25, 'a'], [2, 25, null], [3, 25, null]]);
    });

    it('lists a consumer\'s rows inside a transaction (locked for a rebuild) with the same content', async () => {
      const consumer = newConsumer();
      await store().positions.ensure(consumer, 2, 3, NOW);
      const inside = await store().transaction((tx) => store().positions.list(consumer, tx));
      expect(inside).toEqual(await store().positions.list(consumer));
    });
  });

  describeLeases(store, owners);

  describe('positions.advance and reset', () => {
    it('moves a held partition forward only, and refuses an owner that does not hold it', async () => {
      const consumer = newConsumer();
      await store().positions.ensure(consumer, 2, 0, NOW);
      await store().positions.acquire(consumer, 'a', NOW, LEASE, 2);
      expect(await store().positions.advance(consumer, 0, 'a', { from: 0, to: 10 }, NOW + 1)).toBe(true);
      expect(await store().positions.advance(consumer, 0, 'a', { from: 10, to: 5 }, NOW + 2)).toBe(true);
      expect((await store().positions.list(consumer))[0]).toMatchObject({ position: 10, owner: 'a' });
      expect(await store().positions.advance(consumer, 0, 'b', { from: 10, to: 20 }, NOW + 3)).toBe(false);
      expect(await store().positions.advance(consumer, 7, 'a', { from: 0, to: 20 }, NOW + 3)).toBe(false);
      await store().positions.release(consumer, 'a', [1]);
      expect(await store().positions.advance(consumer, 1, 'a', { from: 0, to: 20 }, NOW + 3)).toBe(false);
      expect(await positions(consumer)).toEqual([[0, 10, 'a'], [1, 0, null]]);
    });

    it('inside a transaction, commits or rolls back with it', async () => {
      const consumer = newConsumer();
      await store().positions.ensure(consumer, 1, 0, NOW);
      await store().positions.acquire(consumer, 'a', NOW, LEASE, 1);
      await expect(store().transaction(async (tx) => {
        expect(await store().positions.advance(consumer, 0, 'a', { from: 0, to: 30 }, NOW + 1, tx)).toBe(true);
        throw new Error('handler failed');
      })).rejects.toThrow('handler failed');
      expect((await store().positions.list(consumer))[0]).toMatchObject({ position: 0, updatedAt: NOW });
      expect(await store().transaction((tx) => store().positions.advance(consumer, 0, 'a', { from: 0, to: 30 }, NOW + 2, tx))).toBe(true);
      expect((await store().positions.list(consumer))[0]).toMatchObject({ position: 30, updatedAt: NOW + 2 });
      expect(await store().transaction((tx) => store().positions.advance(consumer, 0, 'b', { from: 30, to: 40 }, NOW + 3, tx))).toBe(false);
    });

    it('reset sets every partition\'s position and frees the leases, so a worker still running from its old position cannot advance', async () => {
      const consumer = newConsumer();
      await store().positions.ensure(consumer, 2, 0, NOW);
      await store().positions.acquire(consumer, 'a', NOW, LEASE, 2);
      await store().positions.advance(consumer, 0, 'a', { from: 0, to: 12 }, NOW);
      await store().positions.advance(consumer, 1, 'a', { from: 0, to: 9 }, NOW);
      await store().positions.reset(consumer, 0, NOW + 5);
      expect(await positions(consumer)).toEqual([[0, 0, null], [1, 0, null]]);
      expect((await store().positions.list(consumer)).every((p) => p.updatedAt === NOW + 5 && p.leaseUntil === null)).toBe(true);
      expect(await store().positions.advance(consumer, 0, 'a', { from: 12, to: 20 }, NOW + 6)).toBe(false);
      // The same owner takes the partitions again at once: a worker still running from 12 cannot
      // move on from there (its batch rolls back); one that starts from the stored 0 can.
      expect(await store().positions.acquire(consumer, 'a', NOW + 7, LEASE, 2)).toEqual([0, 1]);
      expect(await store().positions.advance(consumer, 0, 'a', { from: 12, to: 20 }, NOW + 8)).toBe(false);
      expect(await positions(consumer)).toEqual([[0, 0, 'a'], [1, 0, 'a']]);
      expect(await store().positions.advance(consumer, 0, 'a', { from: 0, to: 20 }, NOW + 9)).toBe(true);
      expect(await positions(consumer)).toEqual([[0, 20, 'a'], [1, 0, 'a']]);
      expect(await positions(newConsumer())).toEqual([]);
    });
  });

  describe('Store.transaction', () => {
    it('returns the work\'s value, and on a throw rolls back every write made through tx', async () => {
      const consumer = newConsumer();
      const tenant = await newTenant(store());
      await store().events.append([makeEvent(tenant, T0)], 0);
      const [event] = await store().events.readAfter((await store().events.head()) - 1, 1);
      await store().positions.ensure(consumer, 1, 0, NOW);
      await store().positions.acquire(consumer, 'a', NOW, LEASE, 1);
      const row = {
        consumer, eventId: event!.id, tenantId: tenant, seq: event!.seq, partition: 0, orderingKey: null,
        status: 'failed' as const, attempts: 1, lastError: 'x', nextAttemptAt: NOW, updatedAt: NOW,
      };
      const cursor = { id: `r-${consumer}`, partition: 0, consumer, tenantId: tenant, selection: {}, position: 0, upTo: 5, createdAt: NOW, finishedAt: null };
      await expect(store().transaction(async (tx) => {
        expect(tx.dialect).toBe(store().dialect);
        await store().positions.advance(consumer, 0, 'a', { from: 0, to: event!.seq }, NOW, tx);
        await store().failures.put([row], tx);
        await store().replays.open([cursor], tx);
        throw new Error('rolled back');
      })).rejects.toThrow('rolled back');
      expect((await store().positions.list(consumer))[0]?.position).toBe(0);
      expect(await store().failures.forEvent(tenant, event!.id)).toEqual([]);
      expect(await store().replays.openCursors(tenant)).toEqual([]);
      expect(await store().transaction(async (tx) => { await store().failures.put([row], tx); return 'kept'; })).toBe('kept');
      expect(await store().failures.forEvent(tenant, event!.id)).toEqual([row]);
    });
  });

  describeFailureContract(store);
  describeReplayContract(store);
}

type Owners = (consumer: string) => Promise<Map<number, string | null>>;

function describeLeases(store: StoreGetter, owners: Owners): void {
  const acquire = (consumer: string, owner: string, now: number, partitions = 4) => store().positions.acquire(consumer, owner, now, LEASE, partitions);

  describe('positions.acquire and release', () => {
    it('gives one worker every partition, then shares them fairly once a second one has joined and both renewed', async () => {
      const consumer = newConsumer();
      await store().positions.ensure(consumer, 4, 0, NOW);
      expect(await acquire(consumer, 'a', NOW)).toEqual([0, 1, 2, 3]);
      expect((await store().positions.list(consumer)).every((p) => p.leaseUntil === NOW + LEASE)).toBe(true);
      expect(await acquire(consumer, 'b', NOW + 10)).toEqual([]); // a's leases still run
      const kept = await acquire(consumer, 'a', NOW + 20); // above its fair share: gives two back
      expect(kept).toHaveLength(2);
      const taken = await acquire(consumer, 'b', NOW + 30);
      expect(taken).toHaveLength(2);
      expect([...kept, ...taken].sort()).toEqual([0, 1, 2, 3]);
      const held = await owners(consumer);
      for (const p of kept) expect(held.get(p)).toBe('a');
      for (const p of taken) expect(held.get(p)).toBe('b');
      // Renewing keeps the same partitions and extends the leases.
      expect(await acquire(consumer, 'a', NOW + 40)).toEqual(kept);
      expect((await store().positions.list(consumer)).find((p) => p.partition === kept[0])?.leaseUntil).toBe(NOW + 40 + LEASE);
    });

    it('lets a worker take over the partitions of one whose lease ran out; the old owner can no longer advance', async () => {
      const consumer = newConsumer();
      await store().positions.ensure(consumer, 4, 0, NOW);
      await acquire(consumer, 'a', NOW);
      const later = NOW + LEASE + 1;
      expect(await acquire(consumer, 'b', later)).toEqual([0, 1, 2, 3]);
      expect(await store().positions.advance(consumer, 0, 'a', { from: 0, to: 5 }, later)).toBe(false);
      // a comes back: it gets its share only once b, now above its share, gives some back.
      expect(await acquire(consumer, 'a', later + 1)).toEqual([]);
      expect(await acquire(consumer, 'b', later + 2)).toHaveLength(2);
      expect(await acquire(consumer, 'a', later + 3)).toHaveLength(2);
    });

    it('release gives back the named partitions or all of them; a released worker no longer counts as a member', async () => {
      const consumer = newConsumer();
      await store().positions.ensure(consumer, 4, 0, NOW);
      await acquire(consumer, 'a', NOW);
      await store().positions.release(consumer, 'a', [1, 2]);
      expect([...(await owners(consumer)).values()]).toEqual(['a', null, null, 'a']);
      expect((await store().positions.list(consumer))[1]?.leaseUntil).toBeNull();
      await store().positions.release(consumer, 'b', [0]); // not b's: nothing changes
      expect((await owners(consumer)).get(0)).toBe('a');
      await store().positions.release(consumer, 'a');
      expect([...(await owners(consumer)).values()]).toEqual([null, null, null, null]);
      // Without a's member row, b is alone and takes everything at once.
      expect(await acquire(consumer, 'b', NOW + 1)).toEqual([0, 1, 2, 3]);
      await store().positions.release(consumer, 'b', []);
      expect((await owners(consumer)).get(0)).toBe('b');
    });

    it('never lets two workers hold one partition, however their renewals interleave', async () => {
      const consumer = newConsumer();
      await store().positions.ensure(consumer, 8, 0, NOW);
      const workers = ['w1', 'w2', 'w3', 'w4'];
      let held: number[][] = [];
      for (let round = 0; round < 6; round++) {
        held = await Promise.all(workers.map((w) => acquire(consumer, w, NOW + round * 10, 8)));
        const all = held.flat();
        expect(new Set(all).size).toBe(all.length);
        const byOwner = await owners(consumer);
        held.forEach((partitions, i) => { for (const p of partitions) expect(byOwner.get(p)).toBe(workers[i]); });
      }
      expect(held.map((h) => h.length)).toEqual([2, 2, 2, 2]);
    });
  });
}
