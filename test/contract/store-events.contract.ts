/** Store contract: event log (append, idempotency, list, count, delivery status from positions and exception rows). */
import { describe, expect, it } from 'vitest';
import type { EventRecord } from '../../src/ports/events.types.js';
import { T0, makeEvent, newConsumer, newTenant } from './store.fixtures.js';
import type { StoreGetter } from './store.contract.js';

const WINDOW = 24 * 3_600_000;

export function describeEventContract(store: StoreGetter): void {
  describe('events.append', () => {
    it('stores events as given and reads them back per tenant', async () => {
      const tenant = await newTenant(store());
      const full = makeEvent(tenant, T0 + 1, {
        type: 'article.created', subject: 'article/1', userId: 'u1', sessionId: 's1', sourceApp: 'shop',
        idempotencyKey: 'k-full', data: { title: 'Ünïcode ✓', tags: ['a'], nested: { n: 1.5, ok: true, none: null } },
      });
      const bare = makeEvent(tenant, T0 + 2, { data: null });
      expect(await store().events.append([full, bare], T0)).toEqual([
        { id: full.id, duplicate: false }, { id: bare.id, duplicate: false },
      ]);
      expect(await store().events.get(tenant, full.id)).toEqual({ ...full, seq: expect.any(Number) });
      expect(await store().events.get(tenant, bare.id)).toEqual({ ...bare, seq: expect.any(Number) });
      expect(await store().events.get(await newTenant(store()), full.id)).toBeUndefined();
      const many = await store().events.getMany([bare.id, full.id, 'missing']);
      expect(many.sort(byId)).toEqual([full, bare].sort(byId).map((e) => ({ ...e, seq: expect.any(Number) })));
      expect(await store().events.getMany([])).toEqual([]);
    });

    it('keeps each event\'s sender role (admin, ingest, member or none) through append, get, getMany and list', async () => {
      const tenant = await newTenant(store());
      const events = (['admin', 'ingest', 'member', null] as const).map((senderRole, i) => makeEvent(tenant, T0 + 10 + i, { senderRole }));
      await store().events.append(events, T0);
      for (const event of events) expect((await store().events.get(tenant, event.id))?.senderRole).toBe(event.senderRole);
      expect((await store().events.getMany(events.map((e) => e.id))).sort(byId).map((e) => e.senderRole)).toEqual(['admin', 'ingest', 'member', null]);
      const listed = await store().events.list(tenant, { limit: 10 });
      expect(listed.items.map((e) => e.senderRole)).toEqual(['admin', 'ingest', 'member', null].reverse());
    });

    it('returns the original id for a key seen within the window and stores nothing', async () => {
      const tenant = await newTenant(store());
      const head = await store().events.head();
      const original = makeEvent(tenant, T0 + 1_000, { idempotencyKey: 'order-42' });
      await store().events.append([original], T0 + 1_000 - WINDOW);
      const retry = makeEvent(tenant, T0 + 5_000, { idempotencyKey: 'order-42', data: { changed: true } });
      expect(await store().events.append([retry], T0 + 5_000 - WINDOW)).toEqual([{ id: original.id, duplicate: true }]);
      expect(await store().events.get(tenant, retry.id)).toBeUndefined();
      expect(await store().events.count(tenant, {})).toBe(1);
      expect((await store().events.readAfter(head, 10)).map((e) => e.id)).toEqual([original.id]);
    });

    it('dedupes repeated keys inside one batch', async () => {
      const tenant = await newTenant(store());
      const a = makeEvent(tenant, T0 + 1, { idempotencyKey: 'k1' });
      const b = makeEvent(tenant, T0 + 2, { idempotencyKey: 'k1' });
      const c = makeEvent(tenant, T0 + 3, { idempotencyKey: 'k2' });
      const d = makeEvent(tenant, T0 + 4);
      expect(await store().events.append([a, b, c, d], T0 - WINDOW)).toEqual([
        { id: a.id, duplicate: false }, { id: a.id, duplicate: true }, { id: c.id, duplicate: false }, { id: d.id, duplicate: false },
      ]);
      expect(await store().events.count(tenant, {})).toBe(3);
    });

    it('treats a key older than the window as new, and the new event as its original from then on', async () => {
      const tenant = await newTenant(store());
      const first = makeEvent(tenant, T0, { idempotencyKey: 'k' });
      await store().events.append([first], T0 - WINDOW);
      const later = makeEvent(tenant, T0 + WINDOW + 1, { idempotencyKey: 'k' });
      expect(await store().events.append([later], later.receivedAt - WINDOW)).toEqual([{ id: later.id, duplicate: false }]);
      const third = makeEvent(tenant, T0 + WINDOW + 2, { idempotencyKey: 'k' });
      expect(await store().events.append([third], third.receivedAt - WINDOW)).toEqual([{ id: later.id, duplicate: true }]);
      expect(await store().events.count(tenant, {})).toBe(2);
    });

    it('answers a key seen with a different body hash as a conflict, the same hash as a duplicate', async () => {
      const tenant = await newTenant(store());
      const claim = (bodyHash: string | null) => ({ key: 'native:order-9', bodyHash });
      const original = { ...makeEvent(tenant, T0 + 1, { idempotencyKey: 'order-9' }), idempotency: claim('h1') };
      expect(await store().events.append([original], 0)).toEqual([{ id: original.id, duplicate: false }]);
      const same = { ...makeEvent(tenant, T0 + 2, { idempotencyKey: 'order-9' }), idempotency: claim('h1') };
      const changed = { ...makeEvent(tenant, T0 + 3, { idempotencyKey: 'order-9' }), idempotency: claim('h2') };
      const unknown = { ...makeEvent(tenant, T0 + 4, { idempotencyKey: 'order-9' }), idempotency: claim(null) };
      expect(await store().events.append([same, changed, unknown], 0)).toEqual([
        { id: original.id, duplicate: true }, { id: original.id, duplicate: true, conflict: true }, { id: original.id, duplicate: true },
      ]);
      // The scoped key is what counts: the stored event keeps the key as sent.
      const otherScope = { ...makeEvent(tenant, T0 + 5, { idempotencyKey: 'order-9' }), idempotency: { key: 'segment:order-9', bodyHash: 'h2' } };
      expect(await store().events.append([otherScope], 0)).toEqual([{ id: otherScope.id, duplicate: false }]);
      expect((await store().events.get(tenant, otherScope.id))?.idempotencyKey).toBe('order-9');
      expect(await store().events.count(tenant, {})).toBe(2);
    });

    it('compares body hashes inside one batch, and takes a new hash once the key is older than the window', async () => {
      const tenant = await newTenant(store());
      const at = (ms: number, bodyHash: string) => ({ ...makeEvent(tenant, ms, { idempotencyKey: 'k' }), idempotency: { key: 'native:k', bodyHash } });
      const [a, b, c] = [at(T0, 'h1'), at(T0 + 1, 'h2'), at(T0 + 2, 'h1')];
      expect(await store().events.append([a, b, c], T0 - WINDOW)).toEqual([
        { id: a.id, duplicate: false }, { id: a.id, duplicate: true, conflict: true }, { id: a.id, duplicate: true },
      ]);
      const later = at(T0 + WINDOW + 1, 'h2');
      expect(await store().events.append([later], later.receivedAt - WINDOW)).toEqual([{ id: later.id, duplicate: false }]);
      const again = at(T0 + WINDOW + 2, 'h2');
      expect(await store().events.append([again], again.receivedAt - WINDOW)).toEqual([{ id: later.id, duplicate: true }]);
    });

    it('keeps idempotency keys per tenant', async () => {
      const [a, b] = [await newTenant(store()), await newTenant(store())];
      const ea = makeEvent(a, T0, { idempotencyKey: 'shared' });
      const eb = makeEvent(b, T0, { idempotencyKey: 'shared' });
      expect(await store().events.append([ea, eb], 0)).toEqual([{ id: ea.id, duplicate: false }, { id: eb.id, duplicate: false }]);
    });

    it('stores a key once when the same key is appended concurrently', async () => {
      const tenant = await newTenant(store());
      const events = Array.from({ length: 6 }, (_, i) => makeEvent(tenant, T0 + i, { idempotencyKey: 'race' }));
      const results = (await Promise.all(events.map((e) => store().events.append([e], 0)))).flat();
      expect(results.filter((r) => !r.duplicate)).toHaveLength(1);
      expect(new Set(results.map((r) => r.id)).size).toBe(1);
      expect(await store().events.count(tenant, {})).toBe(1);
    });

    it('prunes keys older than a time', async () => {
      const tenant = await newTenant(store());
      await store().events.append([makeEvent(tenant, T0 - 10_000, { idempotencyKey: 'old' }), makeEvent(tenant, T0, { idempotencyKey: 'new' })], 0);
      expect(await store().events.pruneIdempotency(T0 - 5_000)).toBeGreaterThanOrEqual(1);
      const again = makeEvent(tenant, T0 + 1, { idempotencyKey: 'old' });
      const fresh = makeEvent(tenant, T0 + 2, { idempotencyKey: 'new' });
      const results = await store().events.append([again, fresh], 0);
      expect(results[0]).toEqual({ id: again.id, duplicate: false });
      expect(results[1]?.duplicate).toBe(true);
    });
  });

  describeListing(store);
}

function byId(a: EventRecord, b: EventRecord): number {
  return a.id < b.id ? -1 : 1;
}

function describeListing(store: StoreGetter): void {
  describe('events.list and count', () => {
    async function seed() {
      const tenant = await newTenant(store());
      const other = await newTenant(store());
      const types = ['article.created', 'article.stock.low', 'articles.imported', 'article', 'journal_entry.posted', 'journalXentry.posted', 'page.viewed'];
      const events = types.map((type, i) => makeEvent(tenant, T0 + i * 1_000, { type, userId: i % 2 === 0 ? 'u-even' : 'u-odd' }));
      await store().events.append(events, 0);
      await store().events.append([makeEvent(other, T0 + 500, { type: 'article.created', userId: 'u-even' })], 0);
      return { tenant, events };
    }
    const typesOf = (items: EventRecord[]) => items.map((e) => e.type);

    it('filters by exact types, prefix wildcards and *, newest first', async () => {
      const { tenant } = await seed();
      const list = async (types: string[]) => typesOf((await store().events.list(tenant, { types, limit: 50 })).items);
      expect(await list(['article.*'])).toEqual(['article.stock.low', 'article.created']);
      expect(await list(['journal_entry.*'])).toEqual(['journal_entry.posted']);
      expect(await list(['page.viewed', 'article'])).toEqual(['page.viewed', 'article']);
      expect(await list(['article.*', 'page.viewed'])).toEqual(['page.viewed', 'article.stock.low', 'article.created']);
      expect(await list(['*'])).toHaveLength(7);
      expect(await list([])).toHaveLength(7);
      expect(await store().events.count(tenant, { types: ['article.*'] })).toBe(2);
      expect(await store().events.count(tenant, { types: ['journal_entry.*', 'articles.imported'] })).toBe(2);
    });

    it('filters by user and by an inclusive receipt-time range', async () => {
      const { tenant, events } = await seed();
      const odd = await store().events.list(tenant, { userId: 'u-odd', limit: 50 });
      expect(odd.items.map((e) => e.id)).toEqual(events.filter((_, i) => i % 2 === 1).map((e) => e.id).reverse());
      const ranged = await store().events.list(tenant, { from: T0 + 1_000, to: T0 + 3_000, limit: 50 });
      expect(ranged.items.map((e) => e.id)).toEqual([events[3]!.id, events[2]!.id, events[1]!.id]);
      expect(await store().events.count(tenant, { from: T0 + 1_000, to: T0 + 3_000, userId: 'u-odd' })).toBe(2);
      expect(await store().events.count(tenant, { from: T0 + 6_001 })).toBe(0);
      expect(await store().events.count(tenant, {})).toBe(7);
    });

    it('pages newest first with a cursor, without gaps or repeats', async () => {
      const { tenant, events } = await seed();
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await store().events.list(tenant, { limit: 3, ...(cursor ? { cursor } : {}) });
        seen.push(...page.items.map((e) => e.id));
        cursor = page.nextCursor ?? undefined;
        pages += 1;
      } while (cursor && pages < 10);
      expect(pages).toBe(3);
      expect(seen).toEqual(events.map((e) => e.id).reverse());
      const exact = await store().events.list(tenant, { limit: 7 });
      expect(exact.nextCursor).toBeNull();
    });

    it('filters by delivery status per consumer: done below its position, failed/dead/parked from its exception rows', async () => {
      const tenant = await newTenant(store());
      const [c1, c2] = [newConsumer(), newConsumer()];
      const events = [0, 1, 2].map((i) => makeEvent(tenant, T0 + i));
      await store().events.append(events, 0);
      const seqs = (await store().events.getMany(events.map((e) => e.id))).sort(byId).map((e) => e.seq);
      for (const [consumer, position] of [[c1, seqs[0]!], [c2, seqs[2]!]] as const) {
        await store().positions.ensure(consumer, 1, 0, T0);
        await store().positions.acquire(consumer, 'owner-a', T0, 60_000, 1);
        expect(await store().positions.advance(consumer, 0, 'owner-a', { from: 0, to: position }, T0)).toBe(true);
      }
      const row = (i: number, status: 'dead' | 'parked') => ({
        consumer: c2, eventId: events[i]!.id, tenantId: tenant, seq: seqs[i]!, partition: 0, orderingKey: null,
        status, attempts: status === 'dead' ? 3 : 0, lastError: status === 'dead' ? 'boom' : null, nextAttemptAt: null, updatedAt: T0,
      });
      await store().failures.put([row(1, 'dead'), row(2, 'parked')]);
      type Status = 'done' | 'dead' | 'failed' | 'pending' | 'processing';
      const ids = async (status: Status, consumer?: string) =>
        (await store().events.list(tenant, { deliveryStatus: status, limit: 10, ...(consumer ? { consumer } : {}) })).items.map((e) => e.id);
      const [e0, e1, e2] = events.map((e) => e.id);
      expect(await ids('done', c1)).toEqual([e0]);
      expect(await ids('pending', c1)).toEqual([e2, e1]);
      expect(await ids('dead', c1)).toEqual([]);
      expect(await ids('dead', c2)).toEqual([e1]);
      expect(await ids('dead')).toEqual([e1]);
      expect(await ids('done', c2)).toEqual([e0]);
      expect(await ids('pending', c2)).toEqual([e2]); // parked behind a failure: its position passed it, it is not done
      expect(await ids('failed', c2)).toEqual([]);
      expect(await ids('processing', c2)).toEqual([]);
    });

    it('never returns another tenant\'s events', async () => {
      const tenant = await newTenant(store());
      const other = await newTenant(store());
      const mine = makeEvent(tenant, T0, { type: 'article.created' });
      await store().events.append([mine, makeEvent(other, T0 + 1, { type: 'article.created' })], 0);
      expect((await store().events.list(tenant, { types: ['article.*'], limit: 10 })).items).toEqual([mine]);
      expect(await store().events.count(tenant, {})).toBe(1);
    });
  });
}
