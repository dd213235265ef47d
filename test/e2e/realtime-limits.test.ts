/**
 * Realtime streams on a real socket: caps per principal and per tenant (429 before the stream or
 * the upgrade starts), WebSocket refusals answered over HTTP, and the member view (own user only,
 * live and resumed).
 */
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createApiKey } from '../../src/identity/keys.service.js';
import { eventually, startTestApp, type TestApp } from '../helpers/app.js';

let t: TestApp;
let base: string;
let wsBase: string;
let tenantId: string;
let keys: Record<'alice' | 'bob' | 'carol' | 'dave', string>;

beforeAll(async () => {
  t = await startTestApp({ STREAM_MAX_PER_PRINCIPAL: 2, STREAM_MAX_PER_TENANT: 5 });
  await t.app.http!.listen({ port: 0, host: '127.0.0.1' });
  const port = (t.app.http!.server.address() as { port: number }).port;
  base = `http://127.0.0.1:${port}`;
  wsBase = `ws://127.0.0.1:${port}`;
  tenantId = (await t.app.backends.store.tenants.bySlug('demo'))!.id;
  const member = async (userId: string) => (await createApiKey(t.app.backends.store, { tenantId, role: 'member', userId })).key;
  keys = { alice: await member('alice'), bob: await member('bob'), carol: await member('carol'), dave: await member('dave') };
});
afterAll(async () => { await t.close(); });

interface Received { id: string; type: string; userId: string | null }

/** An SSE stream on its own socket: its status, body (for refusals) and parsed events. */
function sse(key: string, query = '', headers: Record<string, string> = {}) {
  const events: Received[] = [];
  let body = '';
  let contentType = '';
  const req = httpRequest(`${base}/v1/stream?${query}`, { agent: false, headers: { authorization: `Bearer ${key}`, ...headers } });
  const status = new Promise<number>((resolve) => {
    req.on('response', (res) => {
      contentType = String(res.headers['content-type'] ?? '');
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
        for (let end = body.indexOf('\n\n'); end >= 0 && contentType.startsWith('text/event-stream'); end = body.indexOf('\n\n')) {
          const block = body.slice(0, end);
          body = body.slice(end + 2);
          const data = block.split('\n').find((line) => line.startsWith('data: '));
          if (block.includes('event: event') && data) events.push(JSON.parse(data.slice(6)) as Received);
        }
      });
      resolve(res.statusCode ?? 0);
    });
  });
  const ended = new Promise<void>((resolve) => req.on('close', () => resolve()));
  req.on('error', () => undefined);
  req.end();
  return {
    status, events, ended,
    problem: async () => { await ended; return JSON.parse(body) as { code: string; status: number }; },
    contentType: () => contentType,
    close: () => { req.destroy(); },
  };
}

/** Resolves with the HTTP status of a refused upgrade, or 101 when the socket opened. */
function upgrade(query: string): Promise<{ status: number; body: string; socket: WebSocket }> {
  const socket = new WebSocket(`${wsBase}/v1/ws?${query}`);
  return new Promise((resolve) => {
    socket.once('open', () => resolve({ status: 101, body: '', socket }));
    socket.once('unexpected-response', (_req, res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => { body += chunk; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, socket }));
    });
    socket.on('error', () => undefined);
  });
}

const openStreams = () => t.app.hub.size;
const send = async (type: string, userId: string | undefined) =>
  (await t.call('POST', '/v1/events', { type, ...(userId ? { userId } : {}), data: {} }, t.ingestKey)).json().id as string;

describe('GET /v1/ws refusals happen before the upgrade', () => {
  it('answers a plain GET without an upgrade with 426 problem+json', async () => {
    const res = await fetch(`${base}/v1/ws`, { headers: { authorization: `Bearer ${t.adminKey}` } });
    expect(res.status).toBe(426);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(res.headers.get('upgrade')).toBe('websocket');
    expect(((await res.json()) as { code: string }).code).toBe('UPGRADE_REQUIRED');
  });

  it('refuses a member asking for another user\'s stream with 403', async () => {
    const refused = await upgrade(`userId=bob&access_token=${keys.alice}`);
    expect(refused.status).toBe(403);
    expect(JSON.parse(refused.body).code).toBe('AUTH_FORBIDDEN_USER');
    expect(openStreams()).toBe(0);
  });

  it('refuses a bad key with 401 and too many type patterns with 400', async () => {
    expect((await upgrade('access_token=er_member_nope')).status).toBe(401);
    const tooMany = Array.from({ length: 33 }, (_, i) => `t${i}.*`).join(',');
    const res = await upgrade(`types=${tooMany}&access_token=${keys.alice}`);
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body).code).toBe('VALIDATION_FAILED');
  });
});

describe('HEAD /v1/stream', () => {
  it('answers the headers and holds no stream open', async () => {
    const res = await fetch(`${base}/v1/stream`, { method: 'HEAD', headers: { authorization: `Bearer ${keys.alice}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(openStreams()).toBe(0);
    expect((await fetch(`${base}/v1/stream?userId=bob`, { method: 'HEAD', headers: { authorization: `Bearer ${keys.alice}` } })).status).toBe(403);
  });
});

describe('stream caps', () => {
  it('caps the streams of one principal (SSE and WebSocket together) and frees a slot on close', async () => {
    const first = sse(keys.alice);
    expect(await first.status).toBe(200);
    const ws = await upgrade(`access_token=${keys.alice}`);
    expect(ws.status).toBe(101);
    const third = sse(keys.alice);
    expect(await third.status).toBe(429);
    expect(third.contentType()).toMatch(/^application\/problem\+json/);
    expect((await third.problem()).code).toBe('STREAM_LIMIT_REACHED');
    const thirdWs = await upgrade(`access_token=${keys.alice}`);
    expect(thirdWs.status).toBe(429);
    expect(JSON.parse(thirdWs.body).code).toBe('STREAM_LIMIT_REACHED');
    const bob = sse(keys.bob);
    expect(await bob.status).toBe(200); // other principals are not affected

    first.close();
    ws.socket.close();
    await eventually(async () => openStreams() === 1);
    const again = sse(keys.alice);
    expect(await again.status).toBe(200);
    const againWs = await upgrade(`access_token=${keys.alice}`);
    expect(againWs.status).toBe(101);
    [again, bob].forEach((s) => s.close());
    againWs.socket.close();
  });

  it('caps the streams of one tenant, and never another tenant\'s', async () => {
    await eventually(async () => openStreams() === 0);
    const held = [sse(keys.carol), sse(keys.carol), sse(keys.dave), sse(keys.dave), sse(t.adminKey)];
    expect(await Promise.all(held.map((s) => s.status))).toEqual([200, 200, 200, 200, 200]);
    const over = sse(keys.bob); // bob holds no stream: the tenant's cap refuses him
    expect(await over.status).toBe(429);
    expect((await over.problem()).code).toBe('STREAM_LIMIT_REACHED');
    expect((await upgrade(`access_token=${keys.bob}`)).status).toBe(429);

    const { tenant } = await t.app.backends.store.tenants.ensure('elsewhere');
    const otherAdmin = (await createApiKey(t.app.backends.store, { tenantId: tenant.id, role: 'admin' })).key;
    const other = sse(otherAdmin);
    expect(await other.status).toBe(200);
    other.close();
    held.forEach((s) => s.close());
  });
});

describe('member view in streams', () => {
  it('a member receives only events of their own user, live and resumed, never events without a user', async () => {
    await eventually(async () => openStreams() === 0);
    // A second key of alice's: each principal may hold two streams here.
    const aliceAgain = (await createApiKey(t.app.backends.store, { tenantId, role: 'member', userId: 'alice' })).key;
    const start = await send('page.viewed', 'alice');
    const before = [await send('page.viewed', 'bob'), await send('page.viewed', undefined), await send('page.viewed', 'alice')];
    const resumed = sse(keys.alice, '', { 'last-event-id': start });
    const live = sse(aliceAgain);
    const socket = (await upgrade(`access_token=${keys.alice}`)).socket;
    const wsIds: string[] = [];
    socket.on('message', (data) => wsIds.push((JSON.parse(String(data)) as Received).id));
    const admin = sse(t.adminKey, 'types=page.viewed');
    await Promise.all([resumed.status, live.status, admin.status]);
    await eventually(async () => openStreams() >= 4);
    const during = [await send('page.viewed', 'bob'), await send('page.viewed', undefined)];
    const own = await send('page.viewed', 'alice');
    await eventually(async () => admin.events.length >= 3 && live.events.length >= 1 && wsIds.length >= 1 && resumed.events.length >= 2);
    await new Promise((resolve) => setTimeout(resolve, 150));

    expect(resumed.events.map((e) => e.id)).toEqual([before[2], own]);
    expect(live.events.map((e) => e.id)).toEqual([own]);
    expect(wsIds).toEqual([own]);
    for (const e of [...resumed.events, ...live.events]) expect(e.userId).toBe('alice');
    expect(admin.events.map((e) => e.id)).toEqual([...during, own]); // admins see the whole tenant
    [resumed, live, admin].forEach((s) => s.close());
    socket.close();
  });

  it('a member asking for another user\'s SSE stream gets 403 and no stream', async () => {
    const denied = sse(keys.alice, 'userId=bob');
    expect(await denied.status).toBe(403);
    expect((await denied.problem()).code).toBe('AUTH_FORBIDDEN_USER');
  });
});
