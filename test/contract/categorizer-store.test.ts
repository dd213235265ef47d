/**
 * The categorizer's store and consumer on SQLite and PostgreSQL: rows stored beside events and
 * read back per tenant, an idempotent upsert that never lets an older settings version replace a
 * newer row, a person's intents counted over a window (bounded; inside a projection's transaction too), erase and export of one person,
 * settings whose version every change bumps once (concurrent changes too), and the consumer's
 * handler writing the same rows when events come again.
 */
import { expect, it } from 'vitest';
import { createHashEmbedder } from '../../src/adapters/embedder/hash/hash.embedder.js';
import { categorizerConsumer } from '../../src/categorizer/categorizer.consumer.js';
import type { IntentRow } from '../../src/categorizer/categorizer.store.js';
import { sqlCategorizerStore } from '../../src/categorizer/categorizer.sql.js';
import { Classifier } from '../../src/categorizer/classifier.js';
import { MAX_INTENT_COUNTS } from '../../src/categorizer/intents.port.js';
import { BUILT_IN_BY_TYPE } from '../../src/events/catalog/builtin-types.js';
import { createLogger } from '../../src/platform/logger.js';
import type { EventRecord, LogEntry } from '../../src/ports/events.types.js';
import { describeOnEachDialect } from './feature-stores.js';
import { T0, makeEvent, newTenant } from './store.fixtures.js';

const logger = createLogger('silent', 'test');
let eventNo = 0;
const row = (tenantId: string, fields: Partial<IntentRow> = {}): IntentRow => ({
  tenantId, eventId: `ev-${++eventNo}`, userId: 'alice', time: T0, intent: 'search', category: 'discovery', confidence: 0.61, method: 'embedding', labelsVersion: 0, ...fields,
});
const strip = ({ tenantId: _t, ...rest }: IntentRow) => rest;

describeOnEachDialect('categorizer store', ({ store, inTx }) => {
  const intents = () => sqlCategorizerStore(store().db);

  it('stores rows beside events, per tenant, and replaces a row only with one of the same or a newer version', async () => {
    const [tenant, other] = [await newTenant(store()), await newTenant(store())];
    const a = row(tenant, { confidence: 0.1234 });
    const b = row(tenant, { userId: null, method: 'rule', confidence: 1, intent: 'inventory', category: 'operations' });
    await intents().save([a, b, row(other, { eventId: a.eventId, intent: 'other-tenant' })]);
    const read = await intents().intentsOf(tenant, [a.eventId, b.eventId, 'missing', a.eventId]);
    expect([read.size, read.get(a.eventId), read.get(b.eventId)]).toEqual([2, strip(a), strip(b)]);
    expect((await intents().intentsOf(other, [a.eventId])).get(a.eventId)?.intent).toBe('other-tenant');
    expect((await intents().intentsOf(await newTenant(store()), [a.eventId])).size).toBe(0);
    expect((await intents().intentsOf(tenant, [])).size).toBe(0);

    await intents().save([{ ...a, intent: 'purchase', labelsVersion: 2 }]);
    await intents().save([{ ...a, intent: 'stale', labelsVersion: 1 }]);
    expect((await intents().intentsOf(tenant, [a.eventId])).get(a.eventId)).toMatchObject({ intent: 'purchase', labelsVersion: 2 });
    await intents().save([{ ...a, intent: 'again', labelsVersion: 2 }]);
    expect((await intents().intentsOf(tenant, [a.eventId])).get(a.eventId)).toMatchObject({ intent: 'again', labelsVersion: 2 });
    await intents().save([]);
  });

  it('writes and reads more rows than one statement holds', async () => {
    const tenant = await newTenant(store());
    const rows = Array.from({ length: 650 }, (_, i) => row(tenant, { time: T0 + i }));
    await intents().save(rows);
    expect((await intents().intentsOf(tenant, rows.map((r) => r.eventId))).size).toBe(650);
  });

  it('counts a person\'s intents in [from, to), most frequent first, within the limit', async () => {
    const tenant = await newTenant(store());
    await intents().save([
      row(tenant, { time: T0, intent: 'search' }), row(tenant, { time: T0 + 1, intent: 'search' }), row(tenant, { time: T0 + 2, intent: 'purchase', category: 'commerce' }),
      row(tenant, { time: T0 + 3, intent: 'browse' }), row(tenant, { time: T0 + 4, intent: 'browse' }), row(tenant, { time: T0 + 10, intent: 'late' }),
      row(tenant, { time: T0 - 1, intent: 'early' }), row(tenant, { userId: 'bob', time: T0 }), row(tenant, { userId: null, time: T0 }),
    ]);
    expect(await intents().intentCountsOfUser(tenant, 'alice', T0, T0 + 10)).toEqual([
      { intent: 'browse', category: 'discovery', count: 2 }, { intent: 'search', category: 'discovery', count: 2 }, { intent: 'purchase', category: 'commerce', count: 1 },
    ]);
    // Inside a projection's transaction (on SQLite a read outside it would wait for the one connection).
    expect(await inTx((tx) => intents().intentCountsOfUser(tenant, 'alice', T0, T0 + 3, tx))).toEqual([
      { intent: 'search', category: 'discovery', count: 2 }, { intent: 'purchase', category: 'commerce', count: 1 },
    ]);
    const [first] = await intents().ofUser(tenant, 'alice');
    expect((await inTx((tx) => intents().intentsOf(tenant, [first!.eventId], tx))).get(first!.eventId)).toEqual(first);
    const many = Array.from({ length: MAX_INTENT_COUNTS + 20 }, (_, i) => row(tenant, { userId: 'dave', intent: `i${i}` }));
    await intents().save(many);
    expect(await intents().intentCountsOfUser(tenant, 'dave', T0, T0 + 1)).toHaveLength(MAX_INTENT_COUNTS);
    expect(await intents().intentCountsOfUser(tenant, 'bob', T0, T0 + 10)).toEqual([{ intent: 'search', category: 'discovery', count: 1 }]);
    expect(await intents().intentCountsOfUser(tenant, 'carol', T0, T0 + 10)).toEqual([]);
  });

  it('erases and exports one person of one tenant', async () => {
    const [tenant, other] = [await newTenant(store()), await newTenant(store())];
    const mine = [row(tenant, { time: T0 + 5 }), row(tenant, { time: T0 })];
    await intents().save([...mine, row(tenant, { userId: 'bob' }), row(other)]);
    expect(await intents().ofUser(tenant, 'alice')).toEqual([strip(mine[1]!), strip(mine[0]!)]);
    expect(await intents().eraseUser(tenant, 'alice')).toBe(2);
    expect(await intents().eraseUser(tenant, 'alice')).toBe(0);
    expect(await intents().ofUser(tenant, 'alice')).toEqual([]);
    expect(await intents().ofUser(tenant, 'bob')).toHaveLength(1);
    expect(await intents().ofUser(other, 'alice')).toHaveLength(1);
  });

  it('keeps settings per tenant; every change bumps the version once, concurrent ones too', async () => {
    const [tenant, other] = [await newTenant(store()), await newTenant(store())];
    expect((await intents().settings([tenant])).size).toBe(0);
    const labels = [{ name: 'buy', description: 'buy things\nDinge kaufen', category: 'commerce' }];
    expect(await intents().updateSettings(tenant, { labels, threshold: 0.4 }, T0)).toEqual({ version: 1, rules: null, labels, threshold: 0.4 });
    const rules = [{ pattern: 'order.*', category: 'commerce', intent: 'buy' }];
    expect(await intents().updateSettings(tenant, { rules }, T0)).toEqual({ version: 2, rules, labels, threshold: 0.4 });
    expect(await intents().updateSettings(tenant, { labels: null, threshold: null }, T0)).toEqual({ version: 3, rules, labels: null, threshold: null });
    expect((await intents().settings([tenant, other])).get(tenant)).toEqual({ version: 3, rules, labels: null, threshold: null });
    expect((await intents().settings([tenant, other])).has(other)).toBe(false);
    await Promise.all(Array.from({ length: 8 }, () => intents().updateSettings(other, { rules: [] }, T0)));
    expect((await intents().settings([other])).get(other)?.version).toBe(8);
  });

  it('categorises what the consumer is handed and writes the same rows when the events come again', async () => {
    const tenant = await newTenant(store());
    const catalog = { get: async (_tenantId: string, type: string) => { const t = BUILT_IN_BY_TYPE.get(type); return t && { ...t, origin: 'built-in' as const }; } };
    const consumer = categorizerConsumer({ classifier: new Classifier({ embedder: createHashEmbedder(), logger }), store: intents(), catalog, defaultThreshold: 0.2 });
    let seq = 0;
    const entry = (fields: Partial<EventRecord>): LogEntry => ({ ...makeEvent(tenant, T0 + seq, { userId: 'alice', ...fields }), seq: ++seq });
    const events = [
      entry({ type: 'order.placed', category: 'sales', data: { orderId: 'o1' } }),
      entry({ type: 'query.executed', data: { query: 'wie kann ich meine Bestellung stornieren und zurückgeben' } }),
      entry({ type: 'checkout.clicked', category: 'shopping', data: {} }),
    ];
    const context = { attempt: 1, logger, signal: new AbortController().signal };
    await Promise.all(events.map((e) => consumer.handle!(e, context)));
    const first = await intents().intentsOf(tenant, events.map((e) => e.id));
    expect(events.map((e) => first.get(e.id) && [first.get(e.id)!.intent, first.get(e.id)!.method])).toEqual([
      ['purchase', 'rule'], ['cancellation', 'embedding'], ['shopping', 'sender'],
    ]);
    await Promise.all(events.map((e) => consumer.handle!(e, context)));
    expect(await intents().intentsOf(tenant, events.map((e) => e.id))).toEqual(first);
  });
});
