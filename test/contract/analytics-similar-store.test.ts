/**
 * The similar-people projection on SQLite and PostgreSQL, with the embedded search index and the
 * hash embedder: profiles and newest texts written in the batch's transaction (a rolled-back
 * batch leaves no rows), vectors stored and upserted into the tenant's `_people` collection, the
 * nearest person being the one of the same habits, keys capped per kind, texts kept newest 20,
 * intents never stored (the ranking adds them), a rebuild with the same vectors, and an erase.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createHashEmbedder } from '../../src/adapters/embedder/hash/hash.embedder.js';
import { createEmbeddedSearchIndex } from '../../src/adapters/search/embedded/embedded.search-index.js';
import { KEYS_PER_KIND_MAX, PEOPLE_COLLECTION, similarConsumer, TEXTS_KEPT } from '../../src/analytics/similar/similar.consumer.js';
import { sqlSimilarStore } from '../../src/analytics/similar/similar.sql.js';
import { createLogger } from '../../src/platform/logger.js';
import type { EventRecord, LogEntry } from '../../src/ports/events.types.js';
import type { SearchIndex } from '../../src/ports/search-index.port.js';
import { describeOnEachDialect } from './feature-stores.js';
import { T0, makeEvent, newTenant } from './store.fixtures.js';

let seq = 0;
const entry = (tenantId: string, userId: string, type: string, fields: Partial<EventRecord> = {}): LogEntry =>
  ({ ...makeEvent(tenantId, T0 + seq * 1000, { userId, type, category: type.split('.')[0]!, ...fields }), seq: ++seq });
const context = { attempt: 1, logger: createLogger('silent', 'test'), signal: new AbortController().signal };
const embedder = createHashEmbedder();
let dir: string;
let index: SearchIndex;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'eventrag-similar-'));
  index = createEmbeddedSearchIndex({ dir, persistIntervalMs: 0 });
  await index.init();
});
afterAll(async () => {
  await index?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Events of a person with a habit: `n` rounds of the habit's types. */
const habit = (tenant: string, userId: string, types: string[], n: number) =>
  Array.from({ length: n }, () => types.map((t) => entry(tenant, userId, t))).flat();

describeOnEachDialect('analytics similar store', ({ store, inTx }) => {
  const similar = () => sqlSimilarStore(store().db);
  const consumer = () => similarConsumer({ store: similar(), index, embedder });
  const apply = (events: LogEntry[]) => inTx((tx) => consumer().handleBatch!(events, tx, context));
  const nearest = async (tenant: string, userId: string) => {
    const [self] = await similar().persons(tenant, [userId]);
    const hits = await index.search({ tenantId: tenant, collection: PEOPLE_COLLECTION, query: '', vector: self!.vector, mode: 'dense', limit: 10 });
    return hits.map((h) => h.documentId).filter((id) => id !== userId);
  };

  it('stores each person\'s profile and vector, and finds the person of the same habits nearest', async () => {
    const tenant = await newTenant(store());
    const readers = ['article.viewed', 'article.shared', 'query.executed'];
    const buyers = ['cart.item_added', 'order.placed', 'payment.captured'];
    const events = [
      ...habit(tenant, 'ann', readers, 4), ...habit(tenant, 'bob', buyers, 4), ...habit(tenant, 'cid', readers, 3),
      entry(tenant, 'ann', 'query.executed', { data: { query: 'solar panels on flat roofs' } }),
      entry(tenant, 'cid', 'query.executed', { data: { query: 'solar panel roof mounting' } }),
    ];
    await apply(events.slice(0, 10));
    await apply(events.slice(10));
    expect((await nearest(tenant, 'ann'))[0]).toBe('cid');
    expect((await nearest(tenant, 'bob'))).toHaveLength(2);
    const [ann] = await similar().persons(tenant, ['ann']);
    expect(ann!.profile.types).toEqual({ 'article.viewed': 4, 'article.shared': 4, 'query.executed': 5 });
    expect(ann!.profile.totals).toEqual({ types: 13, categories: 13, intents: 0 });
    expect(ann!.vector).toHaveLength(embedder.dimension);
    expect(Math.hypot(...ann!.vector)).toBeCloseTo(1, 5);
    expect(ann!.textVector).not.toBeNull();
    expect(await similar().textsOf(tenant, 'ann')).toEqual(['solar panels on flat roofs']);
    // Another tenant has no people: no hits, nothing of this tenant.
    const other = await newTenant(store());
    expect(await index.search({ tenantId: other, collection: PEOPLE_COLLECTION, query: '', vector: ann!.vector, mode: 'dense', limit: 10 })).toEqual([]);
    expect(await similar().persons(other, ['ann'])).toEqual([]);

    // A rebuild: rows and collection go, the same events in one batch give the same vectors and neighbours.
    const before = await similar().persons(tenant, ['ann', 'bob', 'cid']);
    await inTx((tx) => consumer().rebuildTenant!(tenant, tx));
    expect(await similar().persons(tenant, ['ann'])).toEqual([]);
    await apply(events);
    const after = await similar().persons(tenant, ['ann', 'bob', 'cid']);
    const sortById = (rows: typeof before) => [...rows].sort((a, b) => a.userId.localeCompare(b.userId));
    expect(sortById(after)).toEqual(sortById(before));
    expect((await nearest(tenant, 'ann'))[0]).toBe('cid');
  });

  it('caps keys per kind, keeps the newest texts, stores no intents, rolls back, erases', async () => {
    const tenant = await newTenant(store());
    const many = Array.from({ length: KEYS_PER_KIND_MAX + 5 }, (_, i) => entry(tenant, 'dan', `custom.t${i}`, { category: 'custom' }));
    const texts = Array.from({ length: TEXTS_KEPT + 3 }, (_, i) => entry(tenant, 'dan', 'message.sent', { category: 'messaging', data: { channel: 'chat', text: `message ${i} ${'x'.repeat(600)}` } }));
    await apply(many);
    await apply(texts.slice(0, 10));
    await apply(texts.slice(10));
    const [dan] = await similar().persons(tenant, ['dan']);
    expect(Object.keys(dan!.profile.types)).toHaveLength(KEYS_PER_KIND_MAX);
    expect(dan!.profile.totals.types).toBe(KEYS_PER_KIND_MAX + 5 + TEXTS_KEPT + 3);
    expect([dan!.profile.intents, dan!.profile.totals.intents]).toEqual([{}, 0]);
    const kept = await similar().textsOf(tenant, 'dan');
    expect(kept).toHaveLength(TEXTS_KEPT);
    expect(kept[0]!.startsWith(`message ${TEXTS_KEPT + 2} `)).toBe(true);
    expect(kept.every((t) => t.length === 500)).toBe(true);

    await expect(inTx(async (tx) => {
      await consumer().handleBatch!([entry(tenant, 'eve', 'page.viewed')], tx, context);
      throw new Error('rollback');
    })).rejects.toThrow('rollback');
    expect(await similar().persons(tenant, ['eve'])).toEqual([]);

    expect(await similar().eraseUser(tenant, 'dan')).toBe(1 + TEXTS_KEPT);
    expect(await similar().persons(tenant, ['dan'])).toEqual([]);
    expect(await similar().textsOf(tenant, 'dan')).toEqual([]);
  });
});
