import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestApp, type TestApp } from '../helpers/app.js';

let t: TestApp;
beforeAll(async () => { t = await startTestApp(); });
afterAll(async () => { await t.close(); });

describe('POST /v1/events', () => {
  it('stores a valid event and answers 202 with its id', async () => {
    const res = await t.call('POST', '/v1/events', { type: 'article.created', userId: 'u1', data: { articleId: 'a1', name: 'Bolt M8' } }, t.ingestKey);
    expect(res.statusCode).toBe(202);
    const { id, duplicate } = res.json();
    expect(duplicate).toBe(false);
    const stored = await t.call('GET', `/v1/events/${id}`);
    expect(stored.json()).toMatchObject({ id, type: 'article.created', userId: 'u1', category: 'inventory', data: { articleId: 'a1', name: 'Bolt M8' } });
  });

  it('rejects data that breaks the type schema with 422 naming the field', async () => {
    const res = await t.call('POST', '/v1/events', { type: 'article.created', data: { articleId: 'a1', name: 42 } }, t.ingestKey);
    expect(res.statusCode).toBe(422);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({ code: 'EVENT_SCHEMA_INVALID', status: 422, errors: [{ pointer: '/data/name' }] });
  });

  it('rejects malformed envelopes with 400 and a pointer', async () => {
    const res = await t.call('POST', '/v1/events', { type: 'Not A Type!', data: {} }, t.ingestKey);
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('VALIDATION_FAILED');
    expect(res.json().errors[0].pointer).toBe('/type');
    const garbage = await t.call('POST', '/v1/events', '{not json', t.ingestKey, { 'content-type': 'application/json' });
    expect(garbage.statusCode).toBe(400);
    expect(garbage.json().code).toBe('VALIDATION_FAILED');
  });

  it('masks sensitive keys at any depth before storing', async () => {
    const res = await t.call('POST', '/v1/events', {
      type: 'signup.completed',
      data: { email: 'a@b.c', password: 'hunter2', nested: { deeper: [{ api_key: 'k', ok: 1 }], Authorization: 'Bearer x' } },
    }, t.ingestKey);
    const stored = (await t.call('GET', `/v1/events/${res.json().id}`)).json();
    expect(stored.data).toEqual({ email: 'a@b.c', password: '[redacted]', nested: { deeper: [{ api_key: '[redacted]', ok: 1 }], Authorization: '[redacted]' } });
    expect(JSON.stringify(stored)).not.toContain('hunter2');
  });

  it('returns the original id for a repeated idempotency key and stores nothing new', async () => {
    const body = { type: 'order.placed', idempotencyKey: 'order-77', data: { orderId: '77' } };
    const first = (await t.call('POST', '/v1/events', body, t.ingestKey)).json();
    const second = (await t.call('POST', '/v1/events', body, t.ingestKey)).json();
    expect(second).toEqual({ id: first.id, duplicate: true });
    const list = (await t.call('GET', '/v1/events?type=order.placed')).json();
    expect(list.items.filter((e: { idempotencyKey: string }) => e.idempotencyKey === 'order-77')).toHaveLength(1);
  });

  it('accepts unknown types as custom, and rejects them in strict mode', async () => {
    const custom = await t.call('POST', '/v1/events', { type: 'newsletter.opened', data: { issue: 3 } }, t.ingestKey);
    expect(custom.statusCode).toBe(202);
    expect((await t.call('GET', `/v1/events/${custom.json().id}`)).json().category).toBe('custom');
    expect((await t.call('PATCH', '/v1/tenant', { strictTypes: true })).statusCode).toBe(200);
    const strict = await t.call('POST', '/v1/events', { type: 'newsletter.opened', data: {} }, t.ingestKey);
    expect(strict.statusCode).toBe(422);
    expect(strict.json().code).toBe('EVENT_TYPE_UNKNOWN');
    const registered = await t.call('PUT', '/v1/catalog/types/newsletter.opened', { category: 'marketing', schema: { type: 'object', required: ['issue'], properties: { issue: { type: 'integer' } } } });
    expect(registered.statusCode).toBe(200);
    expect((await t.call('POST', '/v1/events', { type: 'newsletter.opened', data: { issue: 4 } }, t.ingestKey)).statusCode).toBe(202);
    const bad = await t.call('POST', '/v1/events', { type: 'newsletter.opened', data: { issue: 'x' } }, t.ingestKey);
    expect(bad.json()).toMatchObject({ code: 'EVENT_SCHEMA_INVALID', errors: [{ pointer: '/data/issue' }] });
    await t.call('PATCH', '/v1/tenant', { strictTypes: false });
  });

  it('refuses to let admins overwrite built-in types', async () => {
    const res = await t.call('PUT', '/v1/catalog/types/article.created', { category: 'x', schema: {} });
    expect(res.statusCode).toBe(409);
    expect(res.json().code).toBe('EVENT_TYPE_BUILT_IN');
  });
});

describe('POST /v1/events/batch', () => {
  it('stores valid items and reports rejected ones per item', async () => {
    const res = await t.call('POST', '/v1/events/batch', [
      { type: 'stock.updated', data: { articleId: 'a1', quantity: 5 } },
      { type: 'stock.updated', data: { articleId: 'a1' } },
      { type: 'BAD TYPE' },
      { type: 'stock.low_detected', data: { articleId: 'a1', quantity: 1, threshold: 2 } },
    ], t.ingestKey);
    expect(res.statusCode).toBe(202);
    const body = res.json();
    expect(body).toMatchObject({ accepted: 2, rejected: 2, duplicates: 0 });
    expect(body.results.map((r: { status: string }) => r.status)).toEqual(['accepted', 'rejected', 'rejected', 'accepted']);
    expect(body.results[1].error).toMatchObject({ code: 'EVENT_SCHEMA_INVALID', errors: [{ pointer: '/data/quantity' }] });
    expect(body.results[2].error.code).toBe('VALIDATION_FAILED');
    expect((await t.call('GET', `/v1/events/${body.results[3].id}`)).statusCode).toBe(200);
  });

  it('accepts {events: [...]} and refuses batches over the limit', async () => {
    const ok = await t.call('POST', '/v1/events/batch', { events: [{ type: 'page.viewed', data: { path: '/' } }] }, t.ingestKey);
    expect(ok.json().accepted).toBe(1);
    const tooMany = Array.from({ length: 1001 }, () => ({ type: 'page.viewed' }));
    const res = await t.call('POST', '/v1/events/batch', tooMany, t.ingestKey);
    expect(res.statusCode).toBe(413);
    expect(res.json().code).toBe('BATCH_TOO_LARGE');
  });

  it('refuses bodies over 1 MiB with 413', async () => {
    const big = [{ type: 'page.viewed', data: { blob: 'x'.repeat(1024 * 1024) } }];
    const res = await t.call('POST', '/v1/events/batch', big, t.ingestKey);
    expect(res.statusCode).toBe(413);
    expect(res.json().code).toBe('PAYLOAD_TOO_LARGE');
  });
});

describe('consumers', () => {
  it('delivers every event to the stats consumer once', async () => {
    await t.call('POST', '/v1/events/batch', Array.from({ length: 50 }, (_, i) => ({ type: 'page.viewed', data: { path: `/p${i}` } })), t.ingestKey);
    const consumers = await eventually(async () => {
      const list = (await t.call('GET', '/v1/consumers')).json().items as Array<{ name: string; lagEvents: number }>;
      const stats = list.find((c) => c.name === 'stats')!;
      const counted = ((await t.call('GET', '/v1/events/stats')).json().items as Array<{ count: number }>).reduce((sum, r) => sum + r.count, 0);
      return stats.lagEvents === 0 && counted > 50 ? list : null;
    });
    expect(consumers.find((c) => c.name === 'realtime')).toMatchObject({ delivery: 'live' });
    const totals = (await t.call('GET', '/v1/events/stats')).json().items as Array<{ type: string; count: number }>;
    const pages = totals.filter((r) => r.type === 'page.viewed').reduce((sum, r) => sum + r.count, 0);
    expect(pages).toBe(51);
  });
});
