/** Health, metrics, OpenAPI, request ids, automatic tracking and graceful shutdown. */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConsumerDefinition } from '../../src/events/consumers/consumer.registry.js';
import { eventually, startTestApp, type TestApp } from '../helpers/app.js';

let slowStarted = 0;
let slowFinished = 0;
const slow: ConsumerDefinition = {
  name: 'slow', description: 'takes its time', types: ['slow.job'], delivery: 'durable',
  async handle() { slowStarted += 1; await new Promise((r) => setTimeout(r, 300)); slowFinished += 1; },
};

async function trackedRoutes(app: FastifyInstance) {
  app.get('/tracked-demo', { config: { track: { type: 'query.executed', data: (req) => ({ query: String((req.query as { q?: string }).q ?? '') }) } } },
    async () => ({ ok: true }));
}

let t: TestApp;
beforeAll(async () => { t = await startTestApp({}, { consumers: [() => slow], routes: [{ plugin: trackedRoutes, options: {} }] }); });
afterAll(async () => { await t.close(); });

describe('health, metrics and docs', () => {
  it('answers liveness and readiness without credentials', async () => {
    expect((await t.call('GET', '/health/live', undefined, null)).json()).toEqual({ status: 'ok' });
    const ready = await t.call('GET', '/health/ready', undefined, null);
    expect(ready.statusCode).toBe(200);
    expect(ready.json().components.store).toEqual({ ok: true });
  });

  it('exposes Prometheus metrics for HTTP, ingest, deliveries and lag', async () => {
    await t.call('POST', '/v1/events', { type: 'page.viewed', data: {} }, t.ingestKey);
    await eventually(async () => (await t.call('GET', '/v1/events/stats')).json().items.length > 0);
    const text = (await t.call('GET', '/metrics', undefined, null)).body;
    for (const name of ['eventrag_http_request_duration_seconds_bucket', 'eventrag_events_ingested_total{type="page.viewed"}', 'eventrag_delivery_duration_seconds', 'eventrag_consumer_lag_events{consumer="stats"}', 'eventrag_consumer_lag_seconds']) {
      expect(text).toContain(name);
    }
    expect(text).toMatch(/route="\/v1\/events",status="202"/);
  });

  it('serves an OpenAPI document generated from the schemas', async () => {
    const doc = (await t.call('GET', '/docs/json', undefined, null)).json();
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/events', '/v1/events/batch', '/v1/consumers', '/v1/consumers/{name}/replay', '/v1/stream']));
    expect((await t.call('GET', '/docs', undefined, null)).statusCode).toBeLessThan(400);
  });

  it('echoes or mints a request id', async () => {
    expect((await t.call('GET', '/health/live', undefined, null, { 'x-request-id': 'abc-123' })).headers['x-request-id']).toBe('abc-123');
    expect((await t.call('GET', '/health/live', undefined, null)).headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers unknown routes with problem+json', async () => {
    const res = await t.call('GET', '/v1/nope');
    expect(res.statusCode).toBe(404);
    expect(res.json().code).toBe('ROUTE_NOT_FOUND');
  });
});

describe('automatic tracking', () => {
  it('records a tracked call as an event with user, session, route, status and latency', async () => {
    const res = await t.call('GET', '/v1/tracked-demo?q=bolts', undefined, t.adminKey, { 'x-session-id': 's-42' });
    expect(res.json()).toEqual({ ok: true });
    const event = await eventually(async () => (await t.call('GET', '/v1/events?type=query.executed')).json().items[0]);
    expect(event).toMatchObject({ type: 'query.executed', sessionId: 's-42', data: { route: '/v1/tracked-demo', method: 'GET', status: 200, query: 'bolts' } });
    expect(typeof event.data.latencyMs).toBe('number');
  });

  it('does not track untracked routes such as ingest and operations', async () => {
    await t.call('GET', '/v1/events');
    await t.app.tracker.flush();
    const calls = (await t.call('GET', '/v1/events?type=api.called')).json().items;
    expect(calls).toEqual([]);
  });
});

describe('graceful shutdown', () => {
  it('lets in-flight deliveries finish before stopping', async () => {
    const own = await startTestApp({}, { consumers: [() => slow] });
    const before = slowFinished;
    await own.call('POST', '/v1/events', { type: 'slow.job', data: {} }, own.ingestKey);
    await eventually(async () => slowStarted > slowFinished);
    await own.app.stop();
    expect(slowFinished).toBe(before + 1);
    await own.close();
  });
});
