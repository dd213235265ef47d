/**
 * The categorizer over HTTP (SQLite, hash embedder): events get an intent and a category shown in
 * the events API (a rule's, zero-shot's, the sender's), members see those of their own events; a
 * change of labels or rules is admin-only and bounded, bumps the tenant's version and replays the
 * categorizer so stored intents are recomputed; tenants keep their settings apart; a replay
 * rebuilds identical rows; the rows are erased and exported with the person. LLM mode runs
 * against the local fake provider: events classified by it, batched, and the embedding result
 * standing in when the provider fails or answers something unreadable.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CategorizerApi } from '../../src/categorizer/intents.port.js';
import { createApiKey } from '../../src/identity/keys.service.js';
import { eventually, startTestApp, type TestApp } from '../helpers/app.js';
import { startFakeOpenAi, type FakeOpenAi } from '../helpers/openai-server.js';

type Intent = { intent: string; category: string; confidence: number; method: string };

async function post(t: TestApp, event: object, key = t.ingestKey): Promise<string> {
  const res = await t.call('POST', '/v1/events', event, key);
  expect(res.statusCode, res.body).toBe(202);
  return res.json().id;
}

/** The event's intent as the events API shows it, once the categorizer has stored one. */
const intentOf = (t: TestApp, id: string, key?: string | null) =>
  eventually(async () => (await t.call('GET', `/v1/events/${id}`, undefined, key)).json().intent as Intent | undefined);

/** The categorizer has no replay running and no lag left. */
const settled = (t: TestApp, key = t.adminKey) => eventually(async () => {
  const consumer = (await t.call('GET', '/v1/consumers', undefined, key)).json().items.find((c: { name: string }) => c.name === 'categorizer');
  return consumer.replaying === 0 && consumer.lagEvents === 0;
});

describe('categorizer: embedding mode', () => {
  let t: TestApp;
  let ids: Record<string, string>;
  let member: string;
  let otherAdmin: string;
  let tenantId: string;

  beforeAll(async () => {
    t = await startTestApp();
    const store = t.app.backends.store;
    tenantId = (await store.tenants.bySlug('demo'))!.id;
    member = await t.memberKey('alice');
    const { tenant: other } = await store.tenants.ensure('other-categorizer');
    otherAdmin = (await createApiKey(store, { tenantId: other.id, role: 'admin' })).key;
    ids = {
      order: await post(t, { type: 'order.placed', userId: 'alice', data: { orderId: 'O-1', total: 12 } }),
      query: await post(t, { type: 'query.executed', userId: 'alice', data: { query: 'wie kann ich meine Bestellung stornieren und das Geld zurück bekommen' } }),
      page: await post(t, { type: 'page.viewed', userId: 'bob', data: { path: '/help/contact', title: 'Contact customer service: something is not working' } }),
      custom: await post(t, { type: 'checkout.clicked', userId: 'alice', category: 'shopping', data: {} }),
      said: await post(t, { type: 'message.sent', userId: 'alice', data: { channel: 'chat', text: 'hello', intent: 'support' } }),
      anonymous: await post(t, { type: 'stock.low_detected', data: { articleId: 'A-1', quantity: 1 } }),
    };
  });
  afterAll(async () => { await t?.close(); });

  it('gives every event an intent and a category, shown in GET /v1/events/:id and GET /v1/events', async () => {
    expect(await intentOf(t, ids.order!)).toEqual({ intent: 'purchase', category: 'commerce', confidence: 1, method: 'rule' });
    expect(await intentOf(t, ids.query!)).toMatchObject({ intent: 'cancellation', category: 'commerce', method: 'embedding' });
    expect(await intentOf(t, ids.page!)).toMatchObject({ intent: 'support', category: 'service', method: 'embedding' });
    expect(await intentOf(t, ids.anonymous!)).toMatchObject({ intent: 'inventory', method: 'rule' });
    const confidence = (await intentOf(t, ids.query!)).confidence;
    expect(confidence).toBeGreaterThanOrEqual(0.35);
    expect(confidence).toBeLessThanOrEqual(1);
    await settled(t);
    const list = (await t.call('GET', '/v1/events?limit=100')).json().items as Array<{ id: string; intent?: Intent }>;
    expect(list).toHaveLength(Object.keys(ids).length);
    for (const e of list) expect(e.intent, e.id).toMatchObject({ intent: expect.any(String), category: expect.any(String), method: expect.any(String) });
  });

  it('keeps what the sender said: its category on a type outside the catalog, an intent in data', async () => {
    expect(await intentOf(t, ids.custom!)).toEqual({ intent: 'shopping', category: 'shopping', confidence: 1, method: 'sender' });
    expect(await intentOf(t, ids.said!)).toEqual({ intent: 'support', category: 'service', confidence: 1, method: 'sender' });
  });

  it('shows a member the intents of their own events only', async () => {
    expect(await intentOf(t, ids.order!, member)).toMatchObject({ intent: 'purchase' });
    expect((await t.call('GET', `/v1/events/${ids.page}`, undefined, member)).statusCode).toBe(404);
    const mine = (await t.call('GET', '/v1/events', undefined, member)).json().items as Array<{ userId: string; intent?: Intent }>;
    expect(mine.length).toBeGreaterThan(0);
    expect(mine.every((e) => e.userId === 'alice' && e.intent)).toBe(true);
  });

  it('offers the intents to other features and counts a person\'s', async () => {
    const api = t.app.features.categorizer as CategorizerApi;
    expect((await api.intentsOf(tenantId, [ids.order!])).get(ids.order!)).toMatchObject({ intent: 'purchase', userId: 'alice', labelsVersion: 0 });
    const counts = await api.intentCountsOfUser(tenantId, 'alice', 0, Date.now() + 60_000);
    expect(counts.reduce((sum, c) => sum + c.count, 0)).toBe(4);
    expect(counts).toContainEqual({ intent: 'purchase', category: 'commerce', count: 1 });
  });

  it('rebuilds identical rows by replay', async () => {
    const api = t.app.features.categorizer as CategorizerApi;
    const before = await api.intentsOf(tenantId, Object.values(ids));
    const res = await t.call('POST', '/v1/consumers/categorizer/replay', {});
    expect(res.statusCode, res.body).toBe(202);
    expect(res.json()).toMatchObject({ mode: 'replay', count: Object.keys(ids).length });
    await settled(t);
    expect(await api.intentsOf(tenantId, Object.values(ids))).toEqual(before);
  });

  it('lets only admins read or change labels and rules', async () => {
    const labels = { labels: [{ name: 'tools', description: 'drill' }] };
    for (const key of [member, t.ingestKey]) {
      for (const [method, url, body] of [['GET', '/v1/categorizer/labels'], ['PUT', '/v1/categorizer/labels', labels], ['DELETE', '/v1/categorizer/labels'],
        ['GET', '/v1/categorizer/rules'], ['PUT', '/v1/categorizer/rules', { rules: [] }], ['DELETE', '/v1/categorizer/rules']] as const) {
        const res = await t.call(method, url, body, key);
        expect(res.statusCode, `${method} ${url}`).toBe(403);
      }
    }
    expect((await t.call('GET', '/v1/categorizer/labels', undefined, null)).statusCode).toBe(401);
    expect((await t.call('GET', '/v1/categorizer/labels')).json()).toMatchObject({ version: 0, default: true, thresholdDefault: true, threshold: 0.35, classifier: { mode: 'embedding' } });
  });

  it('refuses oversize or malformed labels and rules with 400, changing nothing', async () => {
    const label = (fields: object = {}) => ({ name: 'tools', description: 'drill and saw', ...fields });
    const bad: Array<[string, object]> = [
      ['/v1/categorizer/labels', { labels: Array.from({ length: 33 }, (_, i) => label({ name: `l${i}` })) }],
      ['/v1/categorizer/labels', { labels: [label({ description: 'x'.repeat(601) })] }],
      ['/v1/categorizer/labels', { labels: [label({ description: Array.from({ length: 9 }, () => 'x').join('\n') })] }],
      ['/v1/categorizer/labels', { labels: [label({ name: 'Tools!' })] }],
      ['/v1/categorizer/labels', { labels: [label({ name: 'x'.repeat(49) })] }],
      ['/v1/categorizer/labels', { labels: [label({ name: 'unknown' })] }],
      ['/v1/categorizer/labels', { labels: [label(), label()] }],
      ['/v1/categorizer/labels', { labels: [label({ category: 'c'.repeat(65) })] }],
      ['/v1/categorizer/labels', { labels: [label({ extra: true })] }],
      ['/v1/categorizer/labels', { labels: [], threshold: 1.5 }],
      ['/v1/categorizer/labels', {}],
      ['/v1/categorizer/rules', { rules: Array.from({ length: 201 }, (_, i) => ({ pattern: `t${i}.*`, category: 'c' })) }],
      ['/v1/categorizer/rules', { rules: [{ pattern: 'Order placed', category: 'c' }] }],
      ['/v1/categorizer/rules', { rules: [{ pattern: 'order.*.x', category: 'c' }] }],
      ['/v1/categorizer/rules', { rules: [{ pattern: `${'a'.repeat(127)}.b`, category: 'c' }] }],
      ['/v1/categorizer/rules', { rules: [{ pattern: 'a.b', category: 'c' }, { pattern: 'a.b', category: 'd' }] }],
      ['/v1/categorizer/rules', { rules: [{ pattern: 'a.b' }] }],
      ['/v1/categorizer/rules', { rules: [{ pattern: 'a.b', category: 'c', intent: 'unknown' }] }],
    ];
    for (const [url, body] of bad) {
      const res = await t.call('PUT', url, body);
      expect(res.statusCode, JSON.stringify(body).slice(0, 120)).toBe(400);
      expect(res.json().code).toBe('VALIDATION_FAILED');
    }
    expect((await t.call('GET', '/v1/categorizer/labels')).json()).toMatchObject({ version: 0, default: true });
  });

  it('recomputes stored intents by replay when the labels change, and keeps other tenants apart', async () => {
    const labels = [
      { name: 'refunds', category: 'money-back', description: 'cancel an order and get the money back\nBestellung stornieren und das Geld zurück bekommen' },
      { name: 'help', description: 'contact customer service because something is not working' },
    ];
    const res = await t.call('PUT', '/v1/categorizer/labels', { labels, threshold: 0.2 });
    expect(res.statusCode, res.body).toBe(202);
    expect(res.json()).toMatchObject({ version: 1, labels, threshold: 0.2, default: false, thresholdDefault: false, replayId: expect.any(String) });
    await settled(t);
    expect(await intentOf(t, ids.query!)).toMatchObject({ intent: 'refunds', category: 'money-back', method: 'embedding' });
    expect(await intentOf(t, ids.page!)).toMatchObject({ intent: 'help', category: 'usage', method: 'embedding' });
    expect(await intentOf(t, ids.order!)).toMatchObject({ intent: 'purchase', method: 'rule' });
    const api = t.app.features.categorizer as CategorizerApi;
    expect([...(await api.intentsOf(tenantId, Object.values(ids))).values()].every((i) => i.labelsVersion === 1)).toBe(true);

    const other = (await t.call('GET', '/v1/categorizer/labels', undefined, otherAdmin)).json();
    expect(other).toMatchObject({ version: 0, default: true });
    expect(other.labels.map((l: { name: string }) => l.name)).toContain('purchase');
    expect((await t.call('GET', '/v1/categorizer/rules', undefined, otherAdmin)).json()).toMatchObject({ version: 0, default: true });
  });

  it('recomputes stored intents when the rules change, and goes back to the defaults on DELETE', async () => {
    const res = await t.call('PUT', '/v1/categorizer/rules', { rules: [{ pattern: 'order.*', category: 'orders', intent: 'buying' }, { pattern: '*', category: 'everything' }] });
    expect(res.statusCode, res.body).toBe(202);
    expect(res.json()).toMatchObject({ version: 2, default: false });
    await settled(t);
    expect(await intentOf(t, ids.order!)).toEqual({ intent: 'buying', category: 'orders', confidence: 1, method: 'rule' });
    expect(await intentOf(t, ids.anonymous!)).toMatchObject({ category: 'everything', method: 'embedding' });
    expect(await intentOf(t, ids.custom!)).toMatchObject({ intent: 'shopping', method: 'sender' });

    expect((await t.call('DELETE', '/v1/categorizer/rules')).json()).toMatchObject({ version: 3, default: true });
    const reset = await t.call('DELETE', '/v1/categorizer/labels');
    expect(reset.statusCode).toBe(202);
    expect(reset.json()).toMatchObject({ version: 4, default: true, thresholdDefault: true, threshold: 0.35 });
    await settled(t);
    expect(await intentOf(t, ids.order!)).toMatchObject({ intent: 'purchase', method: 'rule' });
    expect(await intentOf(t, ids.query!)).toMatchObject({ intent: 'cancellation' });
  });

  it('exports and erases a person\'s intents with the privacy registry', async () => {
    const exported = await t.app.privacy.exportUser(tenantId, 'alice');
    expect((exported.categorizer!.intents as unknown[]).length).toBe(4);
    const erased = await t.app.privacy.eraseUser(tenantId, 'alice');
    expect(erased.byFeature.categorizer).toBe(4);
    expect((await t.app.privacy.exportUser(tenantId, 'alice')).categorizer).toEqual({ intents: [] });
    const api = t.app.features.categorizer as CategorizerApi;
    expect((await api.intentsOf(tenantId, [ids.page!])).size).toBe(1);
  });
});

describe('categorizer: LLM mode against the local fake provider', () => {
  let fake: FakeOpenAi;
  let t: TestApp;

  beforeAll(async () => {
    fake = await startFakeOpenAi();
    t = await startTestApp({ GENERATOR: 'openai', OPENAI_BASE_URL: fake.baseUrl, OPENAI_API_KEY: 'sk-test', CATEGORIZER: 'llm', CATEGORIZER_LLM_BATCH: 2, PROVIDER_TIMEOUT_MS: 2000 });
  });
  afterAll(async () => { await t?.close(); await fake?.close(); });

  it('classifies the events no rule decides with the LLM, several per prompt', async () => {
    const res = await t.call('POST', '/v1/events/batch', [
      { type: 'message.sent', userId: 'u1', data: { channel: 'chat', text: 'I need support, the app crashes' } },
      { type: 'page.viewed', userId: 'u1', data: { path: '/catalog', title: 'Browse the catalog' } },
      { type: 'query.executed', userId: 'u1', data: { query: 'zzz qqq' } },
      { type: 'order.placed', userId: 'u1', data: { orderId: 'O-9' } },
    ], t.ingestKey);
    expect(res.statusCode, res.body).toBe(202);
    const [support, browse, nothing, order] = res.json().results.map((r: { id: string }) => r.id);
    expect(await intentOf(t, support)).toEqual({ intent: 'support', category: 'service', confidence: 0.9, method: 'llm' });
    expect(await intentOf(t, browse)).toEqual({ intent: 'browse', category: 'discovery', confidence: 0.9, method: 'llm' });
    expect(await intentOf(t, nothing)).toEqual({ intent: 'unknown', category: 'usage', confidence: 0.2, method: 'llm' });
    expect(await intentOf(t, order)).toMatchObject({ intent: 'purchase', method: 'rule' });
    expect(fake.classified.reduce((a, b) => a + b, 0)).toBe(3);
    expect(Math.max(...fake.classified)).toBe(2);
    expect((await t.call('GET', '/v1/categorizer/labels')).json().classifier.mode).toBe('llm');
  });

  it('falls back to the embedding result when the provider fails', async () => {
    fake.failChat = [503, 503, 503];
    const id = await post(t, { type: 'message.sent', userId: 'u2', data: { channel: 'email', text: 'Bitte helfen Sie mir, die Rechnung ist falsch: support ticket' } });
    expect(await intentOf(t, id)).toMatchObject({ method: 'embedding' });
    expect(fake.failChat).toEqual([]);
  });

  it('falls back to the embedding result when the answer cannot be read', async () => {
    fake.classifyReply = 'The first event is about support [1].';
    const id = await post(t, { type: 'message.sent', userId: 'u3', data: { channel: 'chat', text: 'support please, another question' } });
    expect(await intentOf(t, id)).toMatchObject({ method: 'embedding' });
    fake.classifyReply = null;
  });
});
