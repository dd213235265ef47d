/** Store contract: the log as the consumers read it (positions handed out at append, reads after a position). */
import { describe, expect, it } from 'vitest';
import type { EventRecord, LogEntry } from '../../src/ports/events.types.js';
import type { Store } from '../../src/ports/store.port.js';
import { T0, makeEvent, newTenant } from './store.fixtures.js';
import type { StoreGetter } from './store.contract.js';

const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i);

/** Appends `events` and returns them as the log holds them, in log order. */
export async function appendEntries(store: Store, events: EventRecord[]): Promise<LogEntry[]> {
  await store.events.append(events, 0);
  return (await store.events.getMany(events.map((e) => e.id))).sort((a, b) => a.seq - b.seq);
}

export function describeLogContract(store: StoreGetter): void {
  describe('events: positions in the log', () => {
    it('gives stored events the next positions in batch order, and duplicates none', async () => {
      const tenant = await newTenant(store());
      const head = await store().events.head();
      const [a, dup, c, d] = [
        makeEvent(tenant, T0 + 1, { idempotencyKey: 'k1' }), makeEvent(tenant, T0 + 2, { idempotencyKey: 'k1' }),
        makeEvent(tenant, T0 + 3, { idempotencyKey: 'k2' }), makeEvent(tenant, T0 + 4),
      ];
      await store().events.append([a!, dup!, c!, d!], 0);
      const read = await store().events.readAfter(head, 10);
      expect(read.map((e) => [e.id, e.seq])).toEqual([[a!.id, head + 1], [c!.id, head + 2], [d!.id, head + 3]]);
      expect(await store().events.head()).toBe(head + 3);

      // A batch of duplicates only stores nothing and takes no position.
      await store().events.append([makeEvent(tenant, T0 + 5, { idempotencyKey: 'k1' }), makeEvent(tenant, T0 + 6, { idempotencyKey: 'k2' })], 0);
      expect(await store().events.head()).toBe(head + 3);
      const e = makeEvent(tenant, T0 + 7);
      expect((await appendEntries(store(), [e])).map((x) => x.seq)).toEqual([head + 4]);
    });

    it('keeps positions gap-free across a batch larger than one insert statement', async () => {
      const tenant = await newTenant(store());
      const head = await store().events.head();
      const events = range(0, 130).map((i) => makeEvent(tenant, T0 + i));
      const entries = await appendEntries(store(), events);
      expect(entries.map((e) => e.id)).toEqual(events.map((e) => e.id));
      expect(entries.map((e) => e.seq)).toEqual(range(head + 1, 130));
    });

    it('hands concurrent appends distinct positions, each batch contiguous, the log gap-free', async () => {
      const tenant = await newTenant(store());
      const head = await store().events.head();
      const batches = range(0, 12).map((b) => range(0, 1 + (b % 5)).map((i) => makeEvent(tenant, T0 + b * 10 + i)));
      await Promise.all(batches.map((batch) => store().events.append(batch, 0)));
      const total = batches.flat().length;
      const log = await store().events.readAfter(head, 1_000);
      expect(log.map((e) => e.seq)).toEqual(range(head + 1, total));
      const seqOf = new Map(log.map((e) => [e.id, e.seq]));
      for (const batch of batches) {
        const seqs = batch.map((e) => seqOf.get(e.id)!);
        expect(seqs).toEqual(range(seqs[0]!, batch.length));
      }
    });
  });

  describe('events: reads after a position', () => {
    it('readAfter returns every tenant\'s events after a position in log order, capped', async () => {
      const [t1, t2] = [await newTenant(store()), await newTenant(store())];
      const head = await store().events.head();
      const events = [makeEvent(t1, T0 + 1, { userId: 'u1' }), makeEvent(t2, T0 + 2), makeEvent(t1, T0 + 3, { type: 'order.placed' })];
      await store().events.append(events, 0);
      const all = await store().events.readAfter(head, 10);
      expect(all).toEqual(events.map((e, i) => ({ ...e, seq: head + 1 + i })));
      expect((await store().events.readAfter(head, 2)).map((e) => e.id)).toEqual([events[0]!.id, events[1]!.id]);
      expect((await store().events.readAfter(head + 1, 10)).map((e) => e.seq)).toEqual([head + 2, head + 3]);
      expect(await store().events.readAfter(head + 3, 10)).toEqual([]);
    });

    it('readSelection reads one tenant\'s selection between two positions, capped', async () => {
      const [tenant, other] = [await newTenant(store()), await newTenant(store())];
      const spec: Array<[number, string, string | null]> = [
        [0, 'article.created', 'u1'], [1, 'order.placed', 'u1'], [2, 'article.updated', 'u2'], [3, 'article.created', 'u1'], [4, 'page.viewed', 'u1'],
      ];
      const mine = spec.map(([i, type, userId]) => makeEvent(tenant, T0 + i * 1_000, { type, userId }));
      const entries = await appendEntries(store(), [mine[0]!, mine[1]!, makeEvent(other, T0 + 1_500, { type: 'article.created', userId: 'u1' }), ...mine.slice(2)]);
      const first = entries[0]!.seq;
      const last = entries.at(-1)!.seq;
      const ids = async (selection: object, after = first - 1, upTo = last, limit = 50) =>
        (await store().events.readSelection(tenant, selection, after, upTo, limit)).map((e) => e.id);
      const m = mine.map((e) => e.id);
      expect(await ids({})).toEqual(m);
      expect(await ids({ types: ['article.*'] })).toEqual([m[0], m[2], m[3]]);
      expect(await ids({ types: ['article.*'], userId: 'u1' })).toEqual([m[0], m[3]]);
      expect(await ids({ from: T0 + 1_000, to: T0 + 3_000 })).toEqual([m[1], m[2], m[3]]);
      expect(await ids({}, entries[1]!.seq, entries[4]!.seq)).toEqual([m[2], m[3]]);
      expect(await ids({}, first - 1, last, 2)).toEqual([m[0], m[1]]);
      expect(await store().events.readSelection(await newTenant(store()), {}, 0, last, 50)).toEqual([]);
      const [entry] = await store().events.readSelection(tenant, {}, first - 1, first, 1);
      expect(entry).toEqual({ ...mine[0], seq: first });
    });

    it('head, receivedAfter and countAfter measure the log after a position, per tenant when asked', async () => {
      const [tenant, other] = [await newTenant(store()), await newTenant(store())];
      const head = await store().events.head();
      expect(await store().events.receivedAfter(head)).toBeNull();
      expect(await store().events.countAfter(head, 100)).toBe(0);
      const events = [makeEvent(other, T0 + 50), ...range(0, 5).map((i) => makeEvent(tenant, T0 + 100 + i))];
      await store().events.append(events, 0);
      expect(await store().events.head()).toBe(head + 6);
      expect(await store().events.receivedAfter(head)).toBe(T0 + 50);
      expect(await store().events.receivedAfter(head, tenant)).toBe(T0 + 100);
      expect(await store().events.receivedAfter(head + 2)).toBe(T0 + 101);
      expect(await store().events.receivedAfter(head + 6)).toBeNull();
      expect(await store().events.receivedAfter(head, await newTenant(store()))).toBeNull();
      expect(await store().events.countAfter(head, 100)).toBe(6);
      expect(await store().events.countAfter(head, 4)).toBe(4);
      expect(await store().events.countAfter(head, 100, tenant)).toBe(5);
      expect(await store().events.countAfter(head, 100, other)).toBe(1);
      expect(await store().events.countAfter(head + 3, 100, tenant)).toBe(3);
      // A tenant's count looks at the next `cap` positions only: its work is bounded whatever
      // the tenant's share of the log (other's one event is at head + 1, the tenant's after it).
      expect(await store().events.countAfter(head, 3, tenant)).toBe(2);
      expect(await store().events.countAfter(head + 1, 1, other)).toBe(0);
    });
  });
}
