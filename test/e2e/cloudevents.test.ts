/**
 * CloudEvents 1.0 over HTTP against a real server: the `cloudevents` package builds and sends the
 * events (structured, binary, batch), and the stored events keep the attributes and extensions.
 */
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { CloudEvent, HTTP, Mode, emitterFor, httpTransport, type Message } from 'cloudevents';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';

let t: TestApp;
let baseUrl: string;
let auth: { authorization: string };
beforeAll(async () => {
  t = await startTestApp();
  await t.app.http!.listen({ port: 0, host: '127.0.0.1' });
  baseUrl = `http://127.0.0.1:${(t.app.http!.server.address() as AddressInfo).port}`;
  auth = { authorization: `Bearer ${t.ingestKey}` };
});
afterAll(async () => { await t.close(); });

/** Sends a message built by the cloudevents package over real HTTP, answering status and JSON. */
async function send(message: Message, path = '/v1/events'): Promise<{ status: number; contentType: string; body: any }> {
  const res = await fetch(`${baseUrl}${path}`, {
    method: 'POST',
    headers: { ...(message.headers as Record<string, string>), ...auth },
    body: message.body as string | undefined,
  });
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', body: await res.json() };
}

const stored = async (id: string) => (await t.call('GET', `/v1/events/${id}`)).json();

function widgetEvent(extra: Record<string, unknown> = {}) {
  return new CloudEvent({
    source: '/apps/shop', type: 'widget.clicked', subject: 'widget/42', time: '2025-03-01T10:00:00.000Z',
    userid: 'u-ce', sessionid: 's-ce', category: 'engagement', sourceapp: 'shop-web',
    data: { widgetId: '42', position: 3 }, ...extra,
  });
}

describe('structured and binary modes through emitterFor(httpTransport)', () => {
  for (const mode of [Mode.STRUCTURED, Mode.BINARY]) {
    it(`stores a ${mode} CloudEvent with its attributes and extensions`, async () => {
      const emit = emitterFor(httpTransport(`${baseUrl}/v1/events`), { mode });
      const event = widgetEvent({ id: randomUUID() });
      const response = await emit(event, { headers: auth }) as { body: string };
      const { id, duplicate } = JSON.parse(response.body);
      expect(duplicate).toBe(false);
      expect(await stored(id)).toMatchObject({
        specversion: '1.0', type: 'widget.clicked', source: '/apps/shop', subject: 'widget/42', time: '2025-03-01T10:00:00.000Z',
        userId: 'u-ce', sessionId: 's-ce', category: 'engagement', sourceApp: 'shop-web',
        idempotencyKey: `ce:/apps/shop:${event.id}`, data: { widgetId: '42', position: 3 },
      });
    });
  }

  it('keeps the idempotencykey extension as the idempotency key', async () => {
    const emit = emitterFor(httpTransport(`${baseUrl}/v1/events`), { mode: Mode.BINARY });
    const key = `order-${randomUUID()}`;
    const res = await emit(new CloudEvent({ source: '/erp', type: 'order.placed', idempotencykey: key, data: { orderId: 'o1', total: 5 } }), { headers: auth }) as { body: string };
    const event = await stored(JSON.parse(res.body).id);
    expect(event).toMatchObject({ idempotencyKey: key, category: 'sales', data: { orderId: 'o1', total: 5 } });
  });
});

describe('duplicates', () => {
  it('answers the same source and id twice as a duplicate, in either mode', async () => {
    const event = widgetEvent({ id: `dup-${randomUUID()}` });
    const first = await send(HTTP.structured(event));
    expect(first).toMatchObject({ status: 202, body: { duplicate: false } });
    const again = await send(HTTP.binary(event));
    expect(again).toMatchObject({ status: 202, body: { id: first.body.id, duplicate: true } });
    const otherSource = await send(HTTP.structured(event.cloneWith({ source: '/apps/other' })));
    expect(otherSource.body.duplicate).toBe(false);
    const list = (await t.call('GET', '/v1/events?type=widget.clicked&limit=1000')).json().items as Array<{ idempotencyKey: string }>;
    expect(list.filter((e) => e.idempotencyKey === `ce:/apps/shop:${event.id}`)).toHaveLength(1);
  });
});

describe('batch mode', () => {
  it('stores each event of an application/cloudevents-batch+json body, reporting per item', async () => {
    const events = [
      widgetEvent({ id: randomUUID() }),
      new CloudEvent({ source: '/inventory', type: 'article.created', userid: 'u-batch', data: { articleId: 'a-1', name: 'Bolt M8' } }),
      new CloudEvent({ source: '/inventory', type: 'article.created', data: { articleId: 'a-2' } }),
      new CloudEvent({ source: '/inventory', type: 'stock.updated', tenantid: 'acme', data: { articleId: 'a-1', quantity: 1 } }),
    ];
    const res = await send({ headers: { 'content-type': 'application/cloudevents-batch+json' }, body: JSON.stringify(events) }, '/v1/events/batch');
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ accepted: 2, rejected: 2, duplicates: 0 });
    const [widget, article, invalid, foreign] = res.body.results;
    expect(await stored(widget.id)).toMatchObject({ type: 'widget.clicked', userId: 'u-ce', category: 'engagement', sourceApp: 'shop-web' });
    expect(await stored(article.id)).toMatchObject({ type: 'article.created', source: '/inventory', userId: 'u-batch', category: 'inventory' });
    expect(invalid).toMatchObject({ status: 'rejected', error: { code: 'EVENT_SCHEMA_INVALID', status: 422, errors: [{ pointer: '/data/name' }] } });
    expect(foreign).toMatchObject({ status: 'rejected', error: { code: 'AUTH_FORBIDDEN_TENANT', status: 403 } });
    const again = await send({ headers: { 'content-type': 'application/cloudevents-batch+json' }, body: JSON.stringify(events.slice(0, 2)) }, '/v1/events/batch');
    expect(again.body).toMatchObject({ accepted: 0, duplicates: 2, results: [{ id: widget.id }, { id: article.id }] });
  });
});

describe('tenants and schemas', () => {
  it('refuses a tenantid extension naming another tenant with 403 AUTH_FORBIDDEN_TENANT', async () => {
    await t.app.backends.store.tenants.ensure('acme');
    for (const serialise of [HTTP.structured, HTTP.binary]) {
      const res = await send(serialise(widgetEvent({ tenantid: 'acme' })));
      expect(res.status).toBe(403);
      expect(res.contentType).toContain('application/problem+json');
      expect(res.body).toMatchObject({ code: 'AUTH_FORBIDDEN_TENANT', errors: [{ pointer: '/tenantid' }] });
    }
    const own = await send(HTTP.binary(widgetEvent({ tenantid: 'demo' })));
    expect(own.status).toBe(202);
  });

  it('answers schema violations with 422 naming /data/...', async () => {
    const bad = new CloudEvent({ source: '/inventory', type: 'stock.updated', data: { articleId: 'a-1', quantity: 'many' } });
    for (const serialise of [HTTP.structured, HTTP.binary]) {
      const res = await send(serialise(bad));
      expect(res.status).toBe(422);
      expect(res.body).toMatchObject({ code: 'EVENT_SCHEMA_INVALID', errors: [{ pointer: '/data/quantity' }] });
    }
    const missing = await send(HTTP.structured(new CloudEvent({ source: '/inventory', type: 'article.created', data: { name: 'Nut' } })));
    expect(missing.body.errors).toEqual([{ pointer: '/data/articleId', detail: expect.any(String) }]);
  });

  it('refuses envelopes that are not CloudEvents 1.0 with 400 naming the attribute', async () => {
    const res = await send({ headers: { 'content-type': 'application/cloudevents+json' }, body: JSON.stringify({ specversion: '1.0', type: 'widget.clicked', id: 'x' }) });
    expect(res).toMatchObject({ status: 400, body: { code: 'VALIDATION_FAILED', errors: [{ pointer: '/source' }] } });
  });
});

describe('data encodings', () => {
  it('decodes data_base64 JSON and keeps text data as {text}', async () => {
    const binaryData = new CloudEvent({ source: '/files', type: 'file.received', datacontenttype: 'application/json', data: new Uint8Array(Buffer.from('{"name":"a.txt"}')) });
    const structured = HTTP.structured(binaryData);
    expect(JSON.parse(structured.body as string).data_base64).toBeDefined();
    const res = await send(structured);
    expect(res.status).toBe(202);
    expect((await stored(res.body.id)).data).toEqual({ name: 'a.txt' });
    const text = await send(HTTP.binary(new CloudEvent({ source: '/notes', type: 'note.added', datacontenttype: 'text/plain', data: 'remember the milk' })));
    expect(text.status).toBe(202);
    expect((await stored(text.body.id)).data).toEqual({ text: 'remember the milk' });
  });

  it('takes binary-mode attribute values as the SDK sends them, percent signs included', async () => {
    const event = widgetEvent({ subject: '50% off', sourceapp: 'shop web 100%' });
    const res = await send(HTTP.binary(event));
    expect(res.status).toBe(202);
    expect(await stored(res.body.id)).toMatchObject({ subject: '50% off', sourceApp: 'shop web 100%' });
    const other = HTTP.binary(widgetEvent({ id: randomUUID() }));
    const encoded = await send({ headers: { ...other.headers, 'ce-subject': 'caf%C3%A9' }, body: other.body });
    expect((await stored(encoded.body.id)).subject).toBe('café');
  });

  it('accepts a binary-mode event without data', async () => {
    const event = new CloudEvent({ source: '/heartbeat', type: 'heartbeat.sent', userid: 'u-hb' });
    const message = HTTP.binary(event);
    expect(message.body).toBeUndefined();
    const res = await send(message);
    expect(res.status).toBe(202);
    expect(await stored(res.body.id)).toMatchObject({ type: 'heartbeat.sent', userId: 'u-hb', data: {} });
  });
});
