/**
 * Slow and stalled stream clients on a real socket: the server's memory stays within the byte
 * bounds, non-reading clients are dropped, and the process outlives their heartbeats.
 * Regression tests for the heartbeat that wrote after the hub had ended a response (process
 * exit on ERR_STREAM_WRITE_AFTER_END) and for per-client buffers that were bounded in events.
 * STREAM_BUFFER_MAX is set far above what any test sends, so only the byte bounds (and
 * backpressure) can hold memory or drop a client.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { eventually, startTestApp, type TestApp } from '../helpers/app.js';

const BUFFER_BYTES = 256 * 1024;
const HEARTBEAT_MS = 250;
const BACKLOG_EVENTS = 160;
const BACKLOG_EVENT_BYTES = 100_000;
const LIVE_EVENT_BYTES = 400_000;
const LIVE_EVENTS = 16;
/** Far above any test's event count: the event-count bound never holds memory here. */
const EVENTS_UNBOUNDED = 10_000;

let t: TestApp;
let base: string;
const uncaught: unknown[] = [];
const onUncaught = (error: unknown) => { uncaught.push(error); };

beforeAll(async () => {
  process.on('uncaughtException', onUncaught);
  process.on('unhandledRejection', onUncaught);
  t = await startTestApp({ STREAM_BUFFER_MAX: EVENTS_UNBOUNDED, STREAM_BUFFER_MAX_BYTES: BUFFER_BYTES, STREAM_HEARTBEAT_MS: HEARTBEAT_MS, EVENT_MAX_BYTES: 1_000_000, STREAM_MAX_PER_PRINCIPAL: 50 });
  await t.app.http!.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(t.app.http!.server.address() as { port: number }).port}`;
});
afterAll(async () => {
  await t.close();
  process.off('uncaughtException', onUncaught);
  process.off('unhandledRejection', onUncaught);
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const dropped = async () => (await t.app.metrics.streamDropped.get()).values.reduce((sum, v) => sum + v.value, 0);

interface StalledStream {
  status: Promise<number>;
  /** Starts reading what the kernel still holds; resolves once the server has closed the stream. */
  closed(): Promise<void>;
}

interface Server { base: string; key: string }
const main = (): Server => ({ base, key: t.adminKey });

/** Opens an SSE stream that does not read (its socket paused); `status` resolves with the headers. */
function stalledStream(headers: Record<string, string> = {}, server = main()): StalledStream & { cut(): void } {
  let response: IncomingMessage | undefined;
  const req = httpRequest(`${server.base}/v1/stream`, { agent: false, headers: { authorization: `Bearer ${server.key}`, ...headers } });
  const status = new Promise<number>((resolve) => req.on('response', (res) => { response = res; res.pause(); resolve(res.statusCode ?? 0); }));
  const ended = new Promise<void>((resolve) => req.on('close', () => resolve()));
  req.on('error', () => undefined);
  req.end();
  return { status, closed: () => { response?.on('error', () => undefined).resume(); return ended; }, cut: () => req.destroy() };
}

/** Reads a whole SSE stream, collecting event ids, until `count` events arrived. */
function readingStream(headers: Record<string, string>, count: number, server = main(), types = 'bulk.loaded'): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const ids: string[] = [];
    const req = httpRequest(`${server.base}/v1/stream?types=${types}`, { agent: false, headers: { authorization: `Bearer ${server.key}`, ...headers } });
    req.on('response', (res) => {
      res.setEncoding('utf8');
      let buffer = '';
      res.on('data', (chunk: string) => {
        buffer += chunk;
        for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
          const id = /^id: (.+)$/m.exec(buffer.slice(0, end))?.[1];
          buffer = buffer.slice(end + 2);
          if (id) ids.push(id);
          if (ids.length >= count) { req.destroy(); resolve(ids); return; }
        }
      });
      res.on('close', () => reject(new Error(`stream closed after ${ids.length} events`)));
    });
    req.on('error', () => undefined);
    req.end();
  });
}

let first = '';
const backlog: string[] = [];

describe('stream memory and slow clients', () => {
  it('seeds a large backlog of big events', async () => {
    first = (await t.call('POST', '/v1/events', { type: 'bulk.loaded', data: { n: -1 } }, t.ingestKey)).json().id as string;
    const blob = 'b'.repeat(BACKLOG_EVENT_BYTES);
    for (let i = 0; i < BACKLOG_EVENTS; i += 8) {
      const res = await t.call('POST', '/v1/events/batch', Array.from({ length: 8 }, (_, k) => ({ type: 'bulk.loaded', data: { n: i + k, blob } })), t.ingestKey);
      expect(res.statusCode).toBe(202);
      backlog.push(...(res.json().results as Array<{ id: string }>).map((item) => item.id));
    }
    expect(backlog).toHaveLength(BACKLOG_EVENTS);
  });

  it('resumes a reading client over the whole backlog in order, page by page', async () => {
    const ids = await readingStream({ 'last-event-id': first }, BACKLOG_EVENTS);
    expect(ids).toEqual(backlog);
  });

  it('keeps a reading client that resumes while more than a buffer of live events arrives, losing none', async () => {
    // Small enough that the reading client keeps up once live; more than STREAM_BUFFER_MAX of them
    // and more than a buffer's bytes together, so what arrives during the resume overflows.
    const blob = 'n'.repeat(30_000);
    const live: string[] = [];
    const reading = readingStream({ 'last-event-id': first }, BACKLOG_EVENTS + 16);
    await eventually(async () => t.app.hub.size === 1);
    for (let i = 0; i < 16; i++) {
      live.push((await t.call('POST', '/v1/events', { type: 'bulk.loaded', data: { i, blob } }, t.ingestKey)).json().id as string);
    }
    expect(await reading).toEqual([...backlog, ...live]);
    backlog.push(...live);
  });

  it('drops non-reading clients, resumed and live, and outlives their heartbeats', async () => {
    await eventually(async () => t.app.hub.size === 0);
    const blob = 'l'.repeat(LIVE_EVENT_BYTES);
    const sendLive = async (count: number) => {
      for (let i = 0; i < count; i++) {
        expect((await t.call('POST', '/v1/events', { type: 'bulk.live', data: { i, blob } }, t.ingestKey)).statusCode).toBe(202);
      }
    };
    await sendLive(LIVE_EVENTS); // the same ingest without clients first: its own garbage is not counted
    const droppedBefore = await dropped();
    const resumed = Array.from({ length: 4 }, () => stalledStream({ 'last-event-id': first }));
    const live = Array.from({ length: 3 }, () => stalledStream());
    const clients = [...resumed, ...live];
    expect(await Promise.all(clients.map((c) => c.status))).toEqual(clients.map(() => 200));
    await sendLive(LIVE_EVENTS);
    await eventually(async () => t.app.hub.size === 0, 20_000);
    // Several heartbeats after the drops, the clients still not reading: a heartbeat that wrote to
    // an ended response would throw here (and, outside a test, end the process).
    await sleep(HEARTBEAT_MS * 6);
    expect(uncaught).toEqual([]);
    await Promise.all(clients.map((c) => c.closed()));

    expect(uncaught).toEqual([]);
    expect(await dropped() - droppedBefore).toBeGreaterThanOrEqual(clients.length);
    const live200 = await fetch(`${base}/health/live`);
    expect(live200.status).toBe(200);
  });

  it('drops a client that stops reading mid-stream and outlives its heartbeats', async () => {
    const client = stalledStream();
    expect(await client.status).toBe(200);
    await eventually(async () => t.app.hub.size === 1);
    const blob = 'x'.repeat(LIVE_EVENT_BYTES);
    for (let i = 0; i < 30 && t.app.hub.size > 0; i++) {
      await t.call('POST', '/v1/events', { type: 'bulk.live', data: { i, blob } }, t.ingestKey);
      await sleep(10);
    }
    await eventually(async () => t.app.hub.size === 0);
    await sleep(HEARTBEAT_MS * 5);
    expect(uncaught).toEqual([]);
    expect((await fetch(`${base}/health/live`)).status).toBe(200);
    await client.closed();
  });

  it('drops a WebSocket client that stops reading, by bytes or missed pongs, and outlives it', async () => {
    await eventually(async () => t.app.hub.size === 0);
    const droppedWs = async () => (await t.app.metrics.streamDropped.get()).values.find((v) => v.labels.transport === 'ws')?.value ?? 0;
    const before = await droppedWs();
    const socket = new WebSocket(`${base.replace('http', 'ws')}/v1/ws?access_token=${t.adminKey}`);
    socket.on('error', () => undefined);
    await new Promise((resolve) => socket.once('open', resolve));
    socket.pause(); // reads nothing more: no messages, no pongs
    await eventually(async () => t.app.hub.size === 1);
    const blob = 'w'.repeat(LIVE_EVENT_BYTES);
    for (let i = 0; i < 10 && t.app.hub.size > 0; i++) {
      await t.call('POST', '/v1/events', { type: 'bulk.live', data: { i, blob } }, t.ingestKey);
    }
    await eventually(async () => t.app.hub.size === 0);
    await sleep(HEARTBEAT_MS * 5);
    expect(await droppedWs()).toBe(before + 1);
    expect(uncaught).toEqual([]);
    expect((await fetch(`${base}/health/live`)).status).toBe(200);
    const closed = new Promise((resolve) => socket.once('close', resolve));
    socket.resume();
    await closed;
  });

  it('survives clients that reset their connection while events are being written', async () => {
    await eventually(async () => t.app.hub.size === 0);
    const resets = Array.from({ length: 3 }, () => {
      const req = httpRequest(`${base}/v1/stream`, { agent: false, headers: { authorization: `Bearer ${t.adminKey}` } });
      const ready = new Promise<void>((resolve) => req.on('response', (res) => { res.pause(); resolve(); }));
      req.on('error', () => undefined);
      req.end();
      return { req, ready };
    });
    await Promise.all(resets.map((r) => r.ready));
    await eventually(async () => t.app.hub.size === resets.length);
    const blob = 'r'.repeat(LIVE_EVENT_BYTES);
    for (let i = 0; i < 6; i++) {
      await t.call('POST', '/v1/events', { type: 'bulk.live', data: { i, blob } }, t.ingestKey);
      if (i === 2) resets.forEach((r) => r.req.socket?.resetAndDestroy());
    }
    await eventually(async () => t.app.hub.size === 0);
    await sleep(HEARTBEAT_MS * 4);
    expect(uncaught).toEqual([]);
    expect((await fetch(`${base}/health/live`)).status).toBe(200);
  });
});

/** V8's collector: what stays allocated is measured, not garbage that was not yet collected. */
function collector(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

async function settledRss(gc: () => void): Promise<number> {
  for (let i = 0; i < 3; i++) { gc(); await sleep(50); }
  return process.memoryUsage.rss();
}

describe('memory held for non-reading clients, measured in RSS', () => {
  const MEMORY_LIVE_EVENTS = 64; // 26 MB of live events
  const RSS_NOISE = 16 * 1024 * 1024; // what V8 and the allocator keep after a full collection
  let m: TestApp;
  let server: Server;
  let after = '';

  beforeAll(async () => {
    // Heartbeats far apart: no client is dropped as stalled while the test measures, so only the
    // byte bound (live events) and backpressure (the resumed backlog) can keep memory down.
    m = await startTestApp({ STREAM_BUFFER_MAX: EVENTS_UNBOUNDED, STREAM_BUFFER_MAX_BYTES: BUFFER_BYTES, STREAM_HEARTBEAT_MS: 10_000, EVENT_MAX_BYTES: 1_000_000, BATCH_MAX_BYTES: 4 * 1024 * 1024, STREAM_MAX_PER_PRINCIPAL: 50 });
    await m.app.http!.listen({ port: 0, host: '127.0.0.1' });
    server = { base: `http://127.0.0.1:${(m.app.http!.server.address() as { port: number }).port}`, key: m.adminKey };
    after = (await m.call('POST', '/v1/events', { type: 'bulk.loaded', data: { n: -1 } }, m.ingestKey)).json().id as string;
    const blob = 'b'.repeat(BACKLOG_EVENT_BYTES);
    for (let i = 0; i < BACKLOG_EVENTS; i += 8) {
      const res = await m.call('POST', '/v1/events/batch', Array.from({ length: 8 }, (_, k) => ({ type: 'bulk.loaded', data: { n: i + k, blob } })), m.ingestKey);
      expect(res.statusCode).toBe(202);
    }
  });
  afterAll(async () => { await m.close(); });

  /**
   * Sends the live events, then a small marker, and resolves once a client reading only markers
   * has it: events are fanned out in order, so by then every live event has been.
   */
  async function sendLive(blob: string, clients: number, events: number): Promise<void> {
    const marker = readingStream({}, 1, server, 'bulk.marker');
    await eventually(async () => m.app.hub.size === clients + 1);
    for (let i = 0; i < events; i += 8) {
      const res = await m.call('POST', '/v1/events/batch', Array.from({ length: 8 }, (_, k) => ({ type: 'bulk.live', data: { i: i + k, blob } })), m.ingestKey);
      expect(res.statusCode).toBe(202);
    }
    expect((await m.call('POST', '/v1/events', { type: 'bulk.marker', data: {} }, m.ingestKey)).statusCode).toBe(202);
    expect(await marker).toHaveLength(1);
  }

  const droppedTotal = async () => (await m.app.metrics.streamDropped.get()).values.reduce((sum, v) => sum + v.value, 0);

  /** Four resumed and three live clients that never read, then the live events; returns the RSS they add. */
  async function stalledRound(gc: () => void, blob: string, events: number): Promise<{ held: number; clients: number; droppedLive: boolean }> {
    const baseline = await settledRss(gc);
    const droppedBefore = await droppedTotal();
    const resumed = Array.from({ length: 4 }, () => stalledStream({ 'last-event-id': after }, server));
    const live = Array.from({ length: 3 }, () => stalledStream({}, server));
    const clients = [...resumed, ...live];
    expect(await Promise.all(clients.map((c) => c.status))).toEqual(clients.map(() => 200));
    await sendLive(blob, clients.length, events);
    const held = (await settledRss(gc)) - baseline;
    const droppedLive = (await droppedTotal()) - droppedBefore >= live.length;
    for (const client of clients) client.cut();
    await eventually(async () => m.app.hub.size === 0);
    return { held, clients: clients.length, droppedLive };
  }

  it('holds at most about a buffer and one event per client, however much arrives', async () => {
    const gc = collector();
    const blob = 'm'.repeat(LIVE_EVENT_BYTES);
    // The same round once first, with twice the events: what the ingest, the fan-out and the
    // resumes allocate for themselves is not counted (V8 heap growth, allocator arenas, and
    // SQLite's 64 MiB page cache, full after the backlog and these 51 MB).
    await stalledRound(gc, blob, 2 * MEMORY_LIVE_EVENTS);
    const round = await stalledRound(gc, blob, MEMORY_LIVE_EVENTS);
    // Unbounded, each live client would hold all 26 MB of live events and each resumed client its
    // 16 MB backlog; bounded, a client holds at most its buffer and the event that passed it
    // (twice that as slack), plus what V8 and the allocator keep.
    expect(round.held).toBeLessThan(round.clients * 2 * (BUFFER_BYTES + LIVE_EVENT_BYTES) + RSS_NOISE);
    expect(round.droppedLive).toBe(true);
    expect(uncaught).toEqual([]);
  });
});
