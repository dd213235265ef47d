/**
 * One set of envelope limits for every entry point, on a real server: string attributes have a
 * maximum length (400 with a pointer), an event's data at most EVENT_MAX_BYTES (413
 * EVENT_TOO_LARGE) whatever the path (native, CloudEvents, Segment, documents), and headers copied
 * by automatic tracking are cut to HEADER_MAX_LENGTH instead of being stored whole.
 * Regression tests for CloudEvents attributes and tracked headers without length limits.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Tracker } from '../../src/http/tracking.plugin.js';
import { createLogger } from '../../src/platform/logger.js';
import { eventually, startTestApp, type TestApp } from '../helpers/app.js';

const EVENT_MAX_BYTES = 8 * 1024;
const HEADER_MAX_LENGTH = 64;

async function trackedRoutes(app: FastifyInstance) {
  app.get('/tracked-envelope', { config: { track: {} } }, async () => ({ ok: true }));
}

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ EVENT_MAX_BYTES, HEADER_MAX_LENGTH }, { routes: [{ plugin: trackedRoutes, options: {} }] });
});
afterAll(async () => { await t.close(); });

const long = (n: number) => 'x'.repeat(n);
const CE = { 'content-type': 'application/cloudevents+json' };
const cloudEvent = (extra: object) => ({ specversion: '1.0', id: `ce-${Math.random()}`, source: '/apps/shop', type: 'widget.clicked', data: { a: 1 }, ...extra });
const pointers = (res: { json: () => any }) => (res.json().errors ?? []).map((e: { pointer: string }) => e.pointer);

describe('string attributes', () => {
  it('refuses over-long CloudEvents attributes and extensions with 400 naming each', async () => {
    const cases: Array<[object, string]> = [
      [{ userid: long(257) }, '/userid'], [{ sessionid: long(257) }, '/sessionid'], [{ id: long(257) }, '/id'],
      [{ idempotencykey: long(257) }, '/idempotencykey'], [{ sourceapp: long(257) }, '/sourceapp'], [{ category: long(257) }, '/category'],
      [{ campaign: long(257) }, '/campaign'], [{ source: `/${long(1024)}` }, '/source'], [{ subject: long(1025) }, '/subject'],
    ];
    for (const [extra, pointer] of cases) {
      const res = await t.call('POST', '/v1/events', cloudEvent(extra), t.ingestKey, CE);
      expect(res.statusCode, pointer).toBe(400);
      expect(res.json().code).toBe('VALIDATION_FAILED');
      expect(pointers(res), pointer).toContain(pointer);
    }
    // At the limit is fine.
    const ok = await t.call('POST', '/v1/events', cloudEvent({ userid: long(256), sessionid: long(256), campaign: long(256) }), t.ingestKey, CE);
    expect(ok.statusCode).toBe(202);
  });

  it('applies the same limits to binary-mode ce-* headers and to batch items', async () => {
    const headers = { 'content-type': 'application/json', 'ce-specversion': '1.0', 'ce-id': 'b-1', 'ce-source': '/inventory', 'ce-type': 'stock.counted' };
    const res = await t.call('POST', '/v1/events', { n: 1 }, t.ingestKey, { ...headers, 'ce-sessionid': long(300) });
    expect(res.statusCode).toBe(400);
    expect(pointers(res)).toContain('/sessionid');
    const batch = await t.call('POST', '/v1/events/batch', [cloudEvent({}), cloudEvent({ userid: long(300) })], t.ingestKey, { 'content-type': 'application/cloudevents-batch+json' });
    expect(batch.json()).toMatchObject({ accepted: 1, rejected: 1, results: [{ status: 'accepted' }, { status: 'rejected', error: { code: 'VALIDATION_FAILED', errors: [{ pointer: '/userid' }] } }] });
  });

  it('refuses over-long native attributes with 400 naming them', async () => {
    const res = await t.call('POST', '/v1/events', { type: 'widget.clicked', sessionId: long(257), data: {} }, t.ingestKey);
    expect(res.statusCode).toBe(400);
    expect(pointers(res)).toContain('/sessionId');
  });
});

describe('data size (EVENT_MAX_BYTES)', () => {
  const big = { blob: long(EVENT_MAX_BYTES) };

  it('answers 413 EVENT_TOO_LARGE for native, CloudEvents and batch items, and takes data at the limit', async () => {
    const nativeRes = await t.call('POST', '/v1/events', { type: 'widget.clicked', data: big }, t.ingestKey);
    expect(nativeRes.statusCode).toBe(413);
    expect(nativeRes.headers['content-type']).toContain('application/problem+json');
    expect(nativeRes.json()).toMatchObject({ code: 'EVENT_TOO_LARGE', status: 413 });
    expect((await t.call('POST', '/v1/events', cloudEvent({ data: big }), t.ingestKey, CE)).json().code).toBe('EVENT_TOO_LARGE');
    const batch = await t.call('POST', '/v1/events/batch', [{ type: 'widget.clicked', data: big }, { type: 'widget.clicked', data: {} }], t.ingestKey);
    expect(batch.json()).toMatchObject({ accepted: 1, rejected: 1, results: [{ status: 'rejected', error: { code: 'EVENT_TOO_LARGE', status: 413 } }, { status: 'accepted' }] });
    const fits = { blob: long(EVENT_MAX_BYTES - JSON.stringify({ blob: '' }).length) };
    expect((await t.call('POST', '/v1/events', { type: 'widget.clicked', data: fits }, t.ingestKey)).statusCode).toBe(202);
    // Multi-byte characters count as bytes, not characters.
    const wide = { blob: 'é'.repeat(EVENT_MAX_BYTES / 2) };
    expect((await t.call('POST', '/v1/events', { type: 'widget.clicked', data: wide }, t.ingestKey)).statusCode).toBe(413);
  });

  it('holds for Segment messages and document writes too', async () => {
    const seg = await t.call('POST', '/v1/track', { userId: 'u1', event: 'Big', properties: big }, t.ingestKey);
    expect(seg.statusCode).toBe(413);
    expect(seg.json().code).toBe('EVENT_TOO_LARGE');
    expect((await t.call('POST', '/v1/collections', { name: 'kb-size', textFields: ['text'] })).statusCode).toBeLessThan(300);
    const doc = await t.call('PUT', '/v1/collections/kb-size/documents/d1', { title: 'Big', text: long(EVENT_MAX_BYTES) });
    expect(doc.statusCode).toBe(413);
    expect(doc.json().code).toBe('EVENT_TOO_LARGE');
  });
});

describe('automatic tracking', () => {
  it('cuts copied headers to HEADER_MAX_LENGTH and never fails the request because of them', async () => {
    const res = await t.call('GET', '/v1/tracked-envelope', undefined, t.adminKey, { 'x-session-id': `s-${long(15_000)}`, 'x-source-app': `app-${long(5_000)}` });
    expect(res.statusCode).toBe(200);
    await t.app.tracker.flush();
    const event = await eventually(async () => (await t.call('GET', '/v1/events?type=api.called')).json().items[0]);
    expect(event.sessionId).toBe(`s-${long(HEADER_MAX_LENGTH - 2)}`);
    expect(event.sourceApp).toBe(`app-${long(HEADER_MAX_LENGTH - 4)}`);
  });

  it('holds tracked data in memory up to a byte budget, not only an item count', async () => {
    const tracker = new Tracker(t.app.ingest, createLogger('silent'), { maxQueueBytes: 10_000 });
    const tenant = (await t.app.backends.store.tenants.bySlug('demo'))!;
    const principal = { kind: 'apiKey' as const, id: 'budget-test', tenant, role: 'admin' as const, userId: null };
    const item = (i: number) => ({ type: 'budget.tracked', data: { i, pad: long(3_000) } });
    for (let i = 0; i < 20; i += 1) tracker.record(principal, item(i));
    expect(tracker.heldBytes).toBeLessThanOrEqual(10_000);
    await tracker.flush();
    expect(tracker.heldBytes).toBe(0);
    const stored = (await t.call('GET', '/v1/events?type=budget.tracked')).json().items;
    expect(stored).toHaveLength(3);
    // Once written, the budget is free again.
    tracker.record(principal, item(99));
    await tracker.flush();
    expect((await t.call('GET', '/v1/events?type=budget.tracked')).json().items).toHaveLength(4);
  });
});
