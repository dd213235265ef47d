/** Remote providers end to end: OpenAI-compatible embeddings and chat, streaming, degradation, embedder change. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createApp } from '../../src/main.js';
import { createLogger } from '../../src/platform/logger.js';
import { eventually, startTestApp, type TestApp } from '../helpers/app.js';
import { startFakeOpenAi, type FakeOpenAi } from '../helpers/openai-server.js';

let fake: FakeOpenAi;
let t: TestApp;
beforeAll(async () => {
  fake = await startFakeOpenAi();
  t = await startTestApp({ EMBEDDER: 'openai', GENERATOR: 'openai', OPENAI_BASE_URL: fake.baseUrl, OPENAI_API_KEY: 'sk-test', EMBEDDING_MODEL: 'fake-embed', PROVIDER_TIMEOUT_MS: 2000 });
  await t.call('POST', '/v1/collections', { name: 'handbook', textFields: ['title', 'body'], titleField: 'title', language: 'en' });
  await t.call('PUT', '/v1/collections/handbook/documents/vacation?wait=true', { title: 'Vacation', body: 'Employees get 30 days of paid leave per year.' });
  await t.call('PUT', '/v1/collections/handbook/documents/laptops?wait=true', { title: 'Laptops', body: 'Every laptop disk is encrypted.' });
});
afterAll(async () => { await t.close(); await fake.close(); });

const ask = (body: object) => t.call('POST', '/v1/answer', { query: 'How much paid leave do employees get?', collections: ['handbook'], ...body });

describe('OpenAI-compatible providers', () => {
  it('embeds documents and queries through /v1/embeddings', async () => {
    expect(fake.calls['/v1/embeddings']).toBeGreaterThanOrEqual(2);
    const collection = (await t.call('GET', '/v1/collections/handbook')).json();
    expect(collection.embedder).toEqual({ model: 'fake-embed', dimension: 16 });
    const res = await t.call('POST', '/v1/search', { query: 'paid leave days', collections: ['handbook'], mode: 'dense', limit: 1 });
    expect(res.json().items[0].documentId).toBe('vacation');
  });

  it('answers with the chat model and keeps citations tied to chunks', async () => {
    const body = (await ask({})).json();
    expect(body).toMatchObject({ generator: 'openai', degraded: false, answer: 'Employees get 30 days of paid leave [1].' });
    expect(body.citations[0]).toMatchObject({ n: 1, documentId: body.sources[0].documentId, collection: 'handbook' });
  });

  it('streams the answer over SSE: sources, deltas, done', async () => {
    const res = await ask({ stream: true });
    expect(res.headers['content-type']).toContain('text/event-stream');
    const events = res.body.split('\n\n').filter(Boolean).map((block) => block.split('\n')[0]!.slice('event: '.length));
    expect(events[0]).toBe('sources');
    expect(events.filter((e) => e === 'delta').length).toBeGreaterThan(1);
    expect(events.at(-1)).toBe('done');
    const done = JSON.parse(res.body.trim().split('\n').at(-1)!.slice('data: '.length));
    expect(done).toMatchObject({ answer: 'Employees get 30 days of paid leave [1].', degraded: false });
  });

  it('degrades to an extractive answer when the provider fails, and says so', async () => {
    fake.failChat = [500, 500, 500, 500];
    const body = (await ask({})).json();
    expect(body).toMatchObject({ generator: 'extractive', degraded: true });
    expect(body.degradedReason).toContain('PROVIDER_UNAVAILABLE');
    expect(body.answer).toContain('30 days of paid leave');
    const metrics = (await t.call('GET', '/metrics', undefined, null)).body;
    expect(metrics).toMatch(/eventrag_degraded_total\{component="generator"/);
    fake.failChat = [];
  });

  it('rebuilds collections by replay when the embedder changes, never mixing vectors', async () => {
    await t.app.stop();
    const config = loadConfig({ DATA_DIR: t.dataDir, LOG_LEVEL: 'silent', CONSUMER_POLL_MS: 50, EMBEDDER: 'hash' }, {});
    const app = await createApp(config, { logger: createLogger('silent') });
    try {
      await app.startWorkers();
      const { tenant } = await app.backends.store.tenants.ensure('demo');
      const collection = await app.retrieval.collections.get(tenant.id, 'handbook');
      expect(collection.embedderModel).toBe(app.retrieval.embedder.model);
      expect(collection.dimension).toBe(384);
      await eventually(async () => (await app.status.lag(tenant.id)).every((l) => l.consumer.name !== 'indexer' || (l.lagEvents === 0 && l.replaying === 0 && l.failed === 0)));
      const hits = await app.retrieval.search.search({ tenantId: tenant.id, query: 'paid leave', collections: ['handbook'], limit: 2, mode: 'hybrid' });
      expect(hits.items[0]?.documentId).toBe('vacation');
      expect((await app.retrieval.index.stats({ tenantId: tenant.id, collection: 'handbook' }))?.dimension).toBe(384);
    } finally {
      await app.stop();
    }
  });
});
