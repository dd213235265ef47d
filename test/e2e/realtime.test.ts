/** SSE and WebSocket streams: tenant and user scoping, type filters, Last-Event-ID resume, slow clients. */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createApiKey } from '../../src/identity/keys.service.js';
import { eventually, startTestApp, type TestApp } from '../helpers/app.js';

let t: TestApp;
let base: string;
let port: number;
beforeAll(async () => {
  t = await startTestApp({ STREAM_BUFFER_MAX: 10 });
  await t.app.http!.listen({ port: 0, host: '127.0.0.1' });
  port = (t.app.http!.server.address() as { port: number }).port;
  base = `http://127.0.0.1:${port}`;
});
afterAll(async () => { await t.close(); });

interface SseEvent { id: string; type: string; userId: string | null }

/** Opens an SSE stream and collects parsed events until closed. */
function openStream(query: string, key: string, headers: Record<string, string> = {}) {
  const events: SseEvent[] = [];
  let response: IncomingMessage | undefined;
  const req = httpRequest(`${base}/v1/stream?${query}`, { headers: { authorization: `Bearer ${key}`, ...headers } });
  const ready = new Promise<number>((resolve) => {
    req.on('response', (res) => {
      response = res;
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = block.split('\n').find((l) => l.startsWith('data: '));
          if (block.includes('event: event') && data) events.push(JSON.parse(data.slice(6)) as SseEvent);
        }
      });
      res.on('data', () => undefined);
      resolve(res.statusCode ?? 0);
    });
  });
  req.on('error', () => undefined);
  req.end();
  return { events, ready, close: () => { req.destroy(); response?.destroy(); } };
}

const send = async (type: string, userId: string, data: object = {}) =>
  (await t.call('POST', '/v1/events', { type, userId, data }, t.ingestKey)).json().id as string;

describe('GET /v1/stream (SSE)', () => {
  it('streams matching events of the tenant, filtered by type pattern', async () => {
    const stream = openStream('types=page.*', t.adminKey);
    expect(await stream.ready).toBe(200);
    await eventually(async () => t.app.hub.size > 0);
    const page = await send('page.viewed', 'u1');
    await send('order.placed', 'u1', { orderId: '1' });
    await eventually(async () => stream.events.length >= 1);
    await new Promise((r) => setTimeout(r, 100));
    expect(stream.events.map((e) => e.id)).toEqual([page]);
    stream.close();
  });

  it('resumes from Last-Event-ID without gaps or repeats', async () => {
    const first = await send('page.viewed', 'u2');
    const missed = [await send('page.viewed', 'u2'), await send('page.viewed', 'u2')];
    const stream = openStream('types=page.viewed&userId=u2', t.adminKey, { 'last-event-id': first });
    await stream.ready;
    const live = await send('page.viewed', 'u2');
    await eventually(async () => stream.events.length >= 3);
    await new Promise((r) => setTimeout(r, 100));
    expect(stream.events.map((e) => e.id)).toEqual([...missed, live]);
    stream.close();
  });

  it('shows members their own events only and refuses other users', async () => {
    const tenant = (await t.app.backends.store.tenants.bySlug('demo'))!;
    const member = (await createApiKey(t.app.backends.store, { tenantId: tenant.id, role: 'member', userId: 'mia' })).key;
    const denied = openStream('userId=zed', member);
    expect(await denied.ready).toBe(403);
    denied.close();
    const stream = openStream('', member);
    await stream.ready;
    await eventually(async () => t.app.hub.size > 0);
    await send('page.viewed', 'zed');
    const own = await send('page.viewed', 'mia');
    await eventually(async () => stream.events.length >= 1);
    await new Promise((r) => setTimeout(r, 100));
    expect(stream.events.map((e) => e.id)).toEqual([own]);
    stream.close();
  });

  it('never shows another tenant\'s events', async () => {
    const { tenant } = await t.app.backends.store.tenants.ensure('elsewhere');
    const otherKey = (await createApiKey(t.app.backends.store, { tenantId: tenant.id, role: 'admin' })).key;
    const stream = openStream('', otherKey);
    await stream.ready;
    await send('page.viewed', 'u1');
    await new Promise((r) => setTimeout(r, 300));
    expect(stream.events).toEqual([]);
    stream.close();
  });

  it('drops a client that stops reading instead of buffering without bound', async () => {
    await eventually(async () => t.app.hub.size === 0); // earlier tests' streams are gone
    const before = 0;
    const req = httpRequest(`${base}/v1/stream`, { headers: { authorization: `Bearer ${t.adminKey}` } });
    req.on('response', (res) => res.pause()); // never reads
    req.on('error', () => undefined);
    req.end();
    await eventually(async () => t.app.hub.size > before);
    const blob = 'x'.repeat(40_000); // 20 per batch stays under the 1 MiB batch limit
    for (let i = 0; i < 40 && t.app.hub.size > before; i++) {
      const res = await t.call('POST', '/v1/events/batch', Array.from({ length: 20 }, () => ({ type: 'bulk.loaded', data: { blob } })), t.ingestKey);
      expect(res.statusCode).toBe(202);
      await new Promise((r) => setTimeout(r, 20));
    }
    await eventually(async () => t.app.hub.size === before);
    const dropped = await t.app.metrics.streamDropped.get();
    expect(dropped.values.find((v) => v.labels.transport === 'sse')?.value).toBeGreaterThanOrEqual(1);
    req.destroy();
  });
});

describe('GET /v1/ws (WebSocket)', () => {
  it('pushes matching events as JSON messages (token in the query)', async () => {
    const socket = new WebSocket(`ws://127.0.0.1:${port}/v1/ws?types=order.*&access_token=${t.adminKey}`);
    const messages: SseEvent[] = [];
    socket.on('message', (data) => messages.push(JSON.parse(String(data)) as SseEvent));
    await new Promise((resolve, reject) => { socket.once('open', resolve); socket.once('error', reject); });
    await eventually(async () => t.app.hub.size > 0);
    await send('page.viewed', 'u1');
    const order = await send('order.placed', 'u1', { orderId: '9' });
    await eventually(async () => messages.length >= 1);
    expect(messages.map((m) => m.id)).toEqual([order]);
    socket.close();
  });

  it('refuses a WebSocket without credentials', async () => {
    const socket = new WebSocket(`ws://127.0.0.1:${port}/v1/ws`);
    const status = await new Promise<number>((resolve) => socket.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)));
    expect(status).toBe(401);
  });
});
