/** Store contract: delivery state per (event, consumer): claims, leases, ordering, replay, counts. */
import { describe, expect, it } from 'vitest';
import { appendAndRelay, deliveryOf, makeEvent, newConsumer, newTenant, T0 } from './store.fixtures.js';
import type { StoreGetter } from './store.contract.js';

const NOW = T0 + 10 * 60_000;
const LEASE = 30_000;

export function describeDeliveryContract(store: StoreGetter): void {
  async function setup(count: number, userIds: Array<string | null> = []) {
    const tenant = await newTenant(store());
    const consumer = newConsumer();
    const events = Array.from({ length: count }, (_, i) => makeEvent(tenant, T0 + i * 10, { userId: userIds[i] ?? null }));
    await appendAndRelay(store(), events, [consumer], 'userId');
    return { tenant, consumer, ids: events.map((e) => e.id), events };
  }

  describe('deliveries.claimDue', () => {
    it('claims pending deliveries in log order up to the limit and counts the attempt', async () => {
      const { tenant, consumer, ids } = await setup(5, ['u1', null]);
      const first = await store().deliveries.claimDue(consumer, 3, NOW, LEASE, false);
      expect(first).toEqual([
        { eventId: ids[0], tenantId: tenant, attempts: 1, orderingKey: 'u1' },
        { eventId: ids[1], tenantId: tenant, attempts: 1, orderingKey: null },
        { eventId: ids[2], tenantId: tenant, attempts: 1, orderingKey: null },
      ]);
      expect(await deliveryOf(store(), tenant, ids[0]!, consumer)).toMatchObject({ status: 'processing', attempts: 1, updatedAt: NOW });
      expect((await store().deliveries.claimDue(consumer, 10, NOW, LEASE, false)).map((c) => c.eventId)).toEqual(ids.slice(3));
      expect(await store().deliveries.claimDue(consumer, 10, NOW, LEASE, false)).toEqual([]);
      expect(await store().deliveries.claimDue(newConsumer(), 10, NOW, LEASE, false)).toEqual([]);
    });

    it('claims failed deliveries once their next attempt is due', async () => {
      const { tenant, consumer, ids } = await setup(1);
      await store().deliveries.claimDue(consumer, 1, NOW, LEASE, false);
      await store().deliveries.markFailed(consumer, ids[0]!, 'timeout', NOW + 1_000, NOW);
      expect(await deliveryOf(store(), tenant, ids[0]!, consumer)).toMatchObject({
        status: 'failed', attempts: 1, lastError: 'timeout', nextAttemptAt: NOW + 1_000,
      });
      expect(await store().deliveries.claimDue(consumer, 1, NOW + 999, LEASE, false)).toEqual([]);
      expect(await store().deliveries.claimDue(consumer, 1, NOW + 1_000, LEASE, false)).toMatchObject([{ eventId: ids[0], attempts: 2 }]);
    });

    it('reclaims processing deliveries whose lease expired', async () => {
      const { consumer, ids } = await setup(1);
      await store().deliveries.claimDue(consumer, 1, NOW, 1_000, false);
      expect(await store().deliveries.claimDue(consumer, 1, NOW + 1_000, LEASE, false)).toEqual([]);
      expect(await store().deliveries.claimDue(consumer, 1, NOW + 1_001, LEASE, false)).toMatchObject([{ eventId: ids[0], attempts: 2 }]);
    });

    it('with ordered, only claims the oldest unfinished delivery of each ordering key', async () => {
      const { consumer, ids } = await setup(7, ['a', 'a', 'b', 'a', null, 'b', null]);
      const claim = async (now = NOW) => (await store().deliveries.claimDue(consumer, 10, now, LEASE, true)).map((c) => c.eventId);
      expect(await claim()).toEqual([ids[0], ids[2], ids[4], ids[6]]);
      expect(await claim()).toEqual([]);
      await store().deliveries.markDone(consumer, [ids[0]!], NOW);
      expect(await claim()).toEqual([ids[1]]);
      await store().deliveries.markFailed(consumer, ids[1]!, 'later', NOW + 5_000, NOW);
      expect(await claim()).toEqual([]);
      await store().deliveries.markDead(consumer, ids[1]!, 'gave up', NOW);
      await store().deliveries.markDone(consumer, [ids[2]!], NOW);
      expect(await claim()).toEqual([ids[3], ids[5]]);
    });

    it('without ordered, claims every due delivery regardless of key', async () => {
      const { consumer, ids } = await setup(3, ['a', 'a', 'a']);
      expect((await store().deliveries.claimDue(consumer, 10, NOW, LEASE, false)).map((c) => c.eventId)).toEqual(ids);
    });

    it('never hands the same delivery to two parallel claimers', async () => {
      const { consumer, ids } = await setup(120);
      const claimed: string[] = [];
      const claimer = async () => {
        for (let batch = await store().deliveries.claimDue(consumer, 7, NOW, LEASE, false); batch.length > 0;
          batch = await store().deliveries.claimDue(consumer, 7, NOW, LEASE, false)) {
          claimed.push(...batch.map((c) => c.eventId));
        }
      };
      await Promise.all(Array.from({ length: 6 }, claimer));
      expect(claimed).toHaveLength(ids.length);
      expect([...claimed].sort()).toEqual([...ids].sort());
    });

    it('never hands two deliveries of one ordering key to parallel ordered claimers', async () => {
      const keys = Array.from({ length: 40 }, (_, i) => `k${i % 4}`);
      const { consumer } = await setup(40, keys);
      const batches = await Promise.all(Array.from({ length: 6 }, () => store().deliveries.claimDue(consumer, 10, NOW, LEASE, true)));
      const claimed = batches.flat();
      expect(claimed).toHaveLength(4);
      expect(new Set(claimed.map((c) => c.orderingKey)).size).toBe(4);
    });
  });

  describeStateChanges(store, setup);
  describeReplay(store, setup);
}

type Setup = (count: number, userIds?: Array<string | null>) => Promise<{ tenant: string; consumer: string; ids: string[] }>;

function describeStateChanges(store: StoreGetter, setup: Setup): void {
  describe('deliveries state changes', () => {
    it('begin marks processing, creating the row if needed, and refuses finished deliveries', async () => {
      const { tenant, consumer, ids } = await setup(3);
      const fresh = newConsumer();
      expect(await store().deliveries.begin(fresh, ids[0]!, tenant, NOW, LEASE)).toBe(1);
      expect(await store().deliveries.begin(fresh, ids[0]!, tenant, NOW, LEASE)).toBe(2);
      expect(await deliveryOf(store(), tenant, ids[0]!, fresh)).toMatchObject({ status: 'processing', attempts: 2, tenantId: tenant });
      expect(await store().deliveries.begin(consumer, ids[1]!, tenant, NOW, LEASE)).toBe(1);
      await store().deliveries.markDone(fresh, [ids[0]!], NOW);
      expect(await store().deliveries.begin(fresh, ids[0]!, tenant, NOW, LEASE)).toBeNull();
      await store().deliveries.markDead(consumer, ids[1]!, 'poison', NOW);
      expect(await store().deliveries.begin(consumer, ids[1]!, tenant, NOW, LEASE)).toBeNull();
      await store().deliveries.markFailed(consumer, ids[2]!, 'x', NOW + 10, NOW);
      expect(await store().deliveries.begin(consumer, ids[2]!, tenant, NOW, LEASE)).toBe(1);
    });

    it('marks done, failed and dead, and reports each delivery of an event per tenant', async () => {
      const { tenant, consumer, ids } = await setup(1);
      const other = newConsumer('z');
      await store().deliveries.begin(other, ids[0]!, tenant, NOW, LEASE);
      await store().deliveries.markFailed(consumer, ids[0]!, 'e'.repeat(5_000), NOW + 100, NOW + 1);
      await store().deliveries.markDead(other, ids[0]!, 'poison', NOW + 2);
      const rows = await store().deliveries.forEvent(tenant, ids[0]!);
      expect(rows.map((r) => r.consumer)).toEqual([consumer, other].sort());
      const failed = rows.find((r) => r.consumer === consumer)!;
      expect(failed).toMatchObject({ status: 'failed', nextAttemptAt: NOW + 100, updatedAt: NOW + 1 });
      expect(failed.lastError!.length).toBeLessThanOrEqual(2_000);
      expect(rows.find((r) => r.consumer === other)).toMatchObject({ status: 'dead', lastError: 'poison', nextAttemptAt: null, updatedAt: NOW + 2 });
      await store().deliveries.markDone(consumer, [ids[0]!], NOW + 3);
      expect(await deliveryOf(store(), tenant, ids[0]!, consumer)).toMatchObject({ status: 'done', nextAttemptAt: null });
      expect(await store().deliveries.forEvent(await newTenant(store()), ids[0]!)).toEqual([]);
      await store().deliveries.markDone(consumer, [], NOW);
    });

    it('release hands processing deliveries back as pending and leaves finished ones', async () => {
      const { tenant, consumer, ids } = await setup(3);
      await store().deliveries.claimDue(consumer, 3, NOW, LEASE, false);
      await store().deliveries.markDone(consumer, [ids[0]!], NOW);
      await store().deliveries.release(consumer, ids, NOW + 1);
      expect((await store().deliveries.forEvent(tenant, ids[0]!))[0]?.status).toBe('done');
      expect((await store().deliveries.forEvent(tenant, ids[1]!))[0]).toMatchObject({ status: 'pending', updatedAt: NOW + 1 });
      expect((await store().deliveries.claimDue(consumer, 5, NOW + 2, LEASE, false)).map((c) => c.eventId)).toEqual(ids.slice(1));
      await store().deliveries.release(consumer, [], NOW);
    });

    it('counts deliveries per consumer and status with the oldest unfinished receipt time', async () => {
      const { tenant, consumer, ids } = await setup(5);
      await store().deliveries.markDone(consumer, [ids[0]!], NOW);
      await store().deliveries.markDead(consumer, ids[1]!, 'x', NOW);
      await store().deliveries.claimDue(consumer, 1, NOW, LEASE, false);
      await store().deliveries.markFailed(consumer, ids[3]!, 'x', NOW + 1, NOW);
      const counts = async (t: string | null) => (await store().deliveries.counts(t)).find((c) => c.consumer === consumer);
      expect(await counts(tenant)).toEqual({ consumer, pending: 1, processing: 1, failed: 1, dead: 1, oldestUndoneAt: T0 + 20 });
      expect(await counts(null)).toEqual(await counts(tenant));
      expect(await counts(await newTenant(store()))).toBeUndefined();
      await store().deliveries.markDone(consumer, ids.slice(2), NOW);
      expect((await counts(tenant))?.oldestUndoneAt).toBeNull();
    });

    it('pendingIds pages pending deliveries of a tenant and consumer in log order', async () => {
      const { tenant, consumer, ids } = await setup(5);
      await store().deliveries.markDone(consumer, [ids[1]!], NOW);
      expect(await store().deliveries.pendingIds(tenant, consumer, null, 2)).toEqual([ids[0], ids[2]]);
      expect(await store().deliveries.pendingIds(tenant, consumer, ids[2]!, 10)).toEqual([ids[3], ids[4]]);
      expect(await store().deliveries.pendingIds(await newTenant(store()), consumer, null, 10)).toEqual([]);
    });
  });
}

function describeReplay(store: StoreGetter, setup: Setup): void {
  describe('deliveries.replay and retryDead', () => {
    it('resets a selection to pending, creates missing rows, and returns how many', async () => {
      const { tenant, consumer, ids } = await setup(4, ['u1', 'u2', 'u1', 'u1']);
      await store().deliveries.claimDue(consumer, 4, NOW, LEASE, false);
      await store().deliveries.markDone(consumer, ids, NOW);
      const replayed = await store().deliveries.replay(tenant, consumer, { userId: 'u1', from: T0 + 10 }, null, NOW + 5);
      expect(replayed).toBe(2);
      expect(await deliveryOf(store(), tenant, ids[2]!, consumer)).toMatchObject({ status: 'pending', attempts: 0, lastError: null, updatedAt: NOW + 5 });
      expect((await deliveryOf(store(), tenant, ids[0]!, consumer))?.status).toBe('done');
      expect((await deliveryOf(store(), tenant, ids[1]!, consumer))?.status).toBe('done');

      const rebuilt = newConsumer('rebuild');
      expect(await store().deliveries.replay(tenant, rebuilt, {}, 'userId', NOW)).toBe(4);
      expect(await deliveryOf(store(), tenant, ids[1]!, rebuilt)).toMatchObject({ status: 'pending', attempts: 0, orderingKey: 'u2', tenantId: tenant });
      expect(await store().deliveries.pendingIds(tenant, rebuilt, null, 10)).toEqual(ids);
      expect(await store().deliveries.replay(await newTenant(store()), rebuilt, {}, null, NOW)).toBe(0);
    });

    it('selects by type patterns and time range', async () => {
      const tenant = await newTenant(store());
      const consumer = newConsumer();
      const events = ['article.created', 'article.updated', 'order.placed'].map((type, i) => makeEvent(tenant, T0 + i * 100, { type }));
      await store().events.append(events, 0);
      expect(await store().deliveries.replay(tenant, consumer, { types: ['article.*'], to: T0 + 50 }, null, NOW)).toBe(1);
      expect(await store().deliveries.replay(tenant, consumer, { types: ['article.*', 'order.placed'] }, null, NOW)).toBe(3);
      expect((await store().deliveries.counts(tenant)).find((c) => c.consumer === consumer)?.pending).toBe(3);
    });

    it('retryDead moves a tenant\'s dead deliveries of one consumer back to pending', async () => {
      const { tenant, consumer, ids } = await setup(3);
      const otherTenant = await setup(1);
      await store().deliveries.markDead(consumer, ids[0]!, 'x', NOW);
      await store().deliveries.markDead(consumer, ids[1]!, 'x', NOW);
      await store().deliveries.markDead(otherTenant.consumer, otherTenant.ids[0]!, 'x', NOW);
      expect(await store().deliveries.retryDead(tenant, consumer, NOW + 1)).toBe(2);
      expect(await deliveryOf(store(), tenant, ids[0]!, consumer)).toMatchObject({ status: 'pending', attempts: 0 });
      expect(await store().deliveries.retryDead(tenant, consumer, NOW + 1)).toBe(0);
      expect((await deliveryOf(store(), otherTenant.tenant, otherTenant.ids[0]!, otherTenant.consumer))?.status).toBe('dead');
    });

    it('deadExhausted marks dead only expired last attempts', async () => {
      const { tenant, consumer, ids } = await setup(3);
      for (const id of ids) await store().deliveries.begin(consumer, id, tenant, NOW, LEASE); // attempt 1
      await store().deliveries.begin(consumer, ids[0]!, tenant, NOW, LEASE); // attempt 2, lease until NOW + LEASE
      await store().deliveries.begin(consumer, ids[1]!, tenant, NOW + LEASE, LEASE); // attempt 2, lease still running later
      expect(await store().deliveries.deadExhausted(consumer, 2, NOW + LEASE + 1)).toBe(1);
      expect(await deliveryOf(store(), tenant, ids[0]!, consumer)).toMatchObject({ status: 'dead', attempts: 2 });
      expect((await deliveryOf(store(), tenant, ids[1]!, consumer))?.status).toBe('processing');
      expect((await deliveryOf(store(), tenant, ids[2]!, consumer))?.status).toBe('processing'); // attempts left: the bus redelivers
      expect(await store().deliveries.deadExhausted(consumer, 2, NOW + LEASE + 1)).toBe(0);
    });
  });
}
