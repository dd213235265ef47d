/**
 * Segment-spec ingestion on a real server and SQLite file: the real @segment/analytics-node client,
 * every message of ../shared/datasets/segment, limits, bad messages and the tenant's track mapping.
 */
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Analytics } from '@segment/analytics-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestApp, type TestApp } from '../helpers/app.js';
import { outsideDataset } from '../helpers/datasets.js';

interface StoredEvent { id: string; type: string; userId: string | null; sessionId: string | null; sourceApp: string | null; idempotencyKey: string | null; time: string; data: Record<string, any> }

const dataset = outsideDataset('segment');
const DATASET_DIR = dataset.dir;

let t: TestApp;
let baseUrl: string;
beforeAll(async () => {
  t = await startTestApp();
  await t.app.http!.listen({ port: 0, host: '127.0.0.1' });
  baseUrl = `http://127.0.0.1:${(t.app.http!.server.address() as AddressInfo).port}`;
});
afterAll(async () => { await t.close(); });

const basic = (key: string) => `Basic ${Buffer.from(`${key}:`).toString('base64')}`;
/** Posts as Segment's HTTP API clients do: HTTP Basic with the write key as user name. */
const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  t.call('POST', `/v1/${path}`, body, null, { authorization: basic(t.ingestKey), ...headers });

/** Traits and links are a projection of the log (the identity consumer): wait until it applied the event. */
async function projected(eventId: string): Promise<void> {
  await eventually(async () => ((await t.call('GET', `/v1/events/${eventId}`)).json().deliveries as Array<{ consumer: string; status: string }>)
    .some((d) => d.consumer === 'identity' && d.status === 'done'));
}

async function allEvents(): Promise<StoredEvent[]> {
  const out: StoredEvent[] = [];
  let cursor: string | null = null;
  do {
    const page: { items: StoredEvent[]; nextCursor: string | null } = (await t.call('GET', `/v1/events?limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)).json();
    out.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return out;
}

/** Events by idempotency key (a Segment messageId); fails unless each key is stored exactly once. */
async function byMessageId(messageIds: string[]): Promise<Map<string, StoredEvent>> {
  const wanted = new Set(messageIds);
  const found = new Map<string, StoredEvent[]>();
  for (const e of await allEvents()) {
    if (e.idempotencyKey && wanted.has(e.idempotencyKey)) found.set(e.idempotencyKey, [...(found.get(e.idempotencyKey) ?? []), e]);
  }
  for (const id of messageIds) expect(found.get(id), `events stored for message ${id}`).toHaveLength(1);
  return new Map([...found].map(([id, events]) => [id, events[0]!]));
}

describe('@segment/analytics-node pointed at the server', () => {
  it('stores one event per message with the right types, users, stitching and traits', async () => {
    const run = randomUUID().slice(0, 8);
    const anon = `anon-${run}`;
    const user = `user-${run}`;
    const ids = Object.fromEntries(['page', 'video', 'identify', 'screen', 'group', 'alias', 'order', 'later'].map((k) => [k, `${k}-${run}`]));
    const analytics = new Analytics({ writeKey: t.ingestKey, host: baseUrl, path: '/v1/batch', flushAt: 50, flushInterval: 60_000, maxRetries: 0 });
    const failures: unknown[] = [];
    analytics.on('error', (error) => failures.push(error));

    analytics.page({ anonymousId: anon, name: 'Home', properties: { url: 'https://example.com/', path: '/' }, messageId: ids.page });
    analytics.track({ anonymousId: anon, event: 'Video Played', properties: { videoId: 'v1', sessionId: 's-1' }, messageId: ids.video });
    analytics.identify({ userId: user, anonymousId: anon, traits: { email: `${run}@example.com`, plan: 'pro', password: 'hunter2' }, messageId: ids.identify });
    analytics.screen({ userId: user, name: 'Settings', messageId: ids.screen });
    analytics.group({ userId: user, groupId: `group-${run}`, traits: { name: 'Initech' }, messageId: ids.group });
    analytics.alias({ userId: user, previousId: `legacy-${run}`, messageId: ids.alias });
    analytics.track({ userId: user, event: 'Order Completed', properties: { order_id: `o-${run}`, total: 19.99, currency: 'EUR' }, messageId: ids.order });
    await analytics.closeAndFlush({ timeout: 10_000 });
    expect(failures).toEqual([]);

    // A later anonymous-only message of the stitched anonymous id belongs to the user, once the link is projected.
    for (const stored of (await byMessageId([ids.identify!, ids.alias!])).values()) await projected(stored.id);
    const later = await post('track', { anonymousId: anon, event: 'Video Paused', messageId: ids.later });
    expect(later.statusCode).toBe(200);
    expect(later.json()).toMatchObject({ success: true, duplicate: false });

    const events = await byMessageId(Object.values(ids));
    const ev = (k: string) => events.get(ids[k]!)!;
    expect(ev('page')).toMatchObject({ type: 'page.viewed', userId: null, sourceApp: '@segment/analytics-node', data: { name: 'Home', path: '/', anonymousId: anon } });
    expect(ev('video')).toMatchObject({ type: 'video_played', userId: null, sessionId: 's-1', data: { event: 'Video Played', videoId: 'v1' } });
    expect(ev('identify')).toMatchObject({ type: 'user.identified', userId: user, data: { traits: { plan: 'pro', password: '[redacted]' }, anonymousId: anon } });
    expect(ev('screen')).toMatchObject({ type: 'screen.viewed', userId: user, data: { name: 'Settings' } });
    expect(ev('group')).toMatchObject({ type: 'user.grouped', userId: user, data: { groupId: `group-${run}`, traits: { name: 'Initech' } } });
    expect(ev('alias')).toMatchObject({ type: 'user.aliased', userId: user, data: { previousId: `legacy-${run}` } });
    expect(ev('order')).toMatchObject({ type: 'order.placed', userId: user, category: 'sales', data: { orderId: `o-${run}`, order_id: `o-${run}`, total: 19.99 } });
    expect(ev('later')).toMatchObject({ type: 'video_paused', userId: user });

    const traits = await t.call('GET', `/v1/users/${user}/traits`);
    expect(traits.json()).toEqual({ userId: user, traits: { email: `${run}@example.com`, plan: 'pro', password: '[redacted]' } });
    // An anonymous-only message of the alias's previous id also resolves to the user.
    const viaAlias = await post('page', { anonymousId: `legacy-${run}`, name: 'Pricing' });
    expect((await t.call('GET', `/v1/events/${viaAlias.json().id}`)).json().userId).toBe(user);
  });

  it('answers re-sent messageIds as duplicates and stores nothing new', async () => {
    const messageId = `dup-${randomUUID()}`;
    const timestamp = new Date().toISOString();
    const send = async () => {
      const analytics = new Analytics({ writeKey: t.ingestKey, host: baseUrl, flushAt: 1, maxRetries: 0 });
      const failures: unknown[] = [];
      analytics.on('error', (error) => failures.push(error));
      // A retry re-sends the same message (only sentAt changes).
      analytics.track({ userId: 'dup-user', event: 'Button Clicked', properties: { n: 1 }, messageId, timestamp });
      await analytics.closeAndFlush({ timeout: 10_000 });
      expect(failures).toEqual([]);
    };
    await send();
    await send();
    await byMessageId([messageId]);

    const raw = { userId: 'dup-user', event: 'Button Clicked', messageId: `raw-${messageId}`, properties: { n: 2 } };
    const first = await post('track', { ...raw, sentAt: '2026-01-01T00:00:00Z' });
    const again = await post('track', { ...raw, sentAt: '2026-01-01T00:00:09Z' });
    expect(again.json()).toEqual({ success: true, id: first.json().id, duplicate: true });
    const batch = await post('batch', { batch: [{ ...raw, type: 'track' }] });
    expect(batch.json()).toMatchObject({ success: true, accepted: 0, duplicates: 1, results: [{ status: 'duplicate', id: first.json().id }] });
    await byMessageId([raw.messageId]);
  });
});

describe.skipIf(!dataset.present)(`the Segment dataset (../shared/datasets/segment)${dataset.label}`, () => {
  let counter = 0;
  const fill = (line: string) => {
    const values: Record<string, () => string> = {
      id: () => `seg-${randomUUID()}`, uuid: () => randomUUID(), 'now.utc': () => new Date().toISOString(),
      domain: () => 'https://example.com', avatar: () => 'https://example.com/avatar.png', double: () => '1.5', ipv4: () => '203.0.113.7',
      email: () => `person-${++counter}@example.com`, name: () => 'Jane Doe', 'name.first': () => 'Jane', 'name.last': () => 'Doe',
      'product.name': () => 'Widget', username: () => `jane${++counter}`,
    };
    return line.replace(/\{\{([a-z.]+)\}\}/g, (_m, key: string) => {
      const make = values[key];
      if (!make) throw new Error(`unknown placeholder {{${key}}}`);
      return make();
    });
  };

  it('accepts every message on its endpoint and stores each once', async () => {
    const files = readdirSync(DATASET_DIR).filter((f) => f.endsWith('.log'));
    const messages = files.flatMap((f) => readFileSync(join(DATASET_DIR, f), 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(fill(l)) as Record<string, any>));
    expect(messages.length).toBeGreaterThanOrEqual(98);
    const ids: string[] = [];
    for (const message of messages) {
      const res = await post(message.type, message);
      expect(res.statusCode, `${message.type} ${JSON.stringify(res.json())}`).toBe(200);
      expect(res.json()).toMatchObject({ success: true, duplicate: false });
      ids.push(res.json().id);
      // Later messages of a stitched anonymous id resolve through the projected link.
      if (['identify', 'alias', 'group'].includes(message.type)) await projected(res.json().id);
    }
    expect(new Set(ids).size).toBe(messages.length);
    const events = await byMessageId(messages.map((m) => m.messageId));
    const typeOf = (m: Record<string, any>) => events.get(m.messageId)!.type;
    const expected: Record<string, string> = { page: 'page.viewed', screen: 'screen.viewed', identify: 'user.identified', group: 'user.grouped' };
    for (const m of messages.filter((x) => x.type !== 'track')) expect(typeOf(m)).toBe(expected[m.type]);
    const tracks = messages.filter((x) => x.type === 'track');
    expect(new Set(tracks.filter((m) => m.event === 'Products Searched').map(typeOf))).toEqual(new Set(['search.performed']));
    expect(new Set(tracks.filter((m) => m.event === 'Order Completed' && m.properties?.order_id).map(typeOf))).toEqual(new Set(['order.placed']));
    // "Order Completed" without an order id does not fit order.placed: it keeps its slug, and is not lost.
    expect(new Set(tracks.filter((m) => m.event === 'Order Completed' && !m.properties?.order_id).map(typeOf))).toEqual(new Set(['order_completed']));
    expect(typeOf(tracks.find((m) => m.event === 'Application Installed')!)).toBe('application_installed');
    // user-journey.log: anonymous-1 is identified as identified-1 and later messages carry that user.
    const journey = messages.filter((m) => m.anonymousId === 'anonymous-1');
    expect(journey.map((m) => events.get(m.messageId)!.userId)).toEqual([null, null, ...journey.slice(2).map(() => 'identified-1')]);
    expect((await t.call('GET', '/v1/users/identified-1/traits')).json().traits).toMatchObject({ email: 'calvinfo@segment.com', first_name: 'Calvin' });
    const androidApp = tracks.find((m) => m.context?.app?.name)!;
    expect(events.get(androidApp.messageId)).toMatchObject({ sourceApp: 'Widget', data: { context: { locale: 'nl-NL' } } });
  });
});

describe('limits and bad messages', () => {
  const track = (pad: number) => ({ userId: 'u-limits', event: 'Padded', properties: { pad: 'x'.repeat(pad) } });
  const sized = (bytes: number) => {
    const base = JSON.stringify(track(0)).length;
    return JSON.stringify(track(bytes - base));
  };

  it('takes a message of exactly 32 KB and refuses one byte more with 413 MESSAGE_TOO_LARGE', async () => {
    const ok = await post('track', sized(32 * 1024), { 'content-type': 'application/json' });
    expect(ok.statusCode).toBe(200);
    const res = await post('track', sized(32 * 1024 + 1), { 'content-type': 'application/json' });
    expect(res.statusCode).toBe(413);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({ code: 'MESSAGE_TOO_LARGE', status: 413 });
    expect(res.json().detail).toContain('32 KB');
  });

  it('refuses batches over 500 KB with 413 BATCH_TOO_LARGE and rejects only the oversized message inside one', async () => {
    const message = JSON.parse(sized(20 * 1024));
    const fits = { batch: Array.from({ length: 24 }, () => ({ ...message, type: 'track' })) }; // ~480 KB
    expect(Buffer.byteLength(JSON.stringify(fits))).toBeLessThan(500 * 1024);
    expect((await post('batch', fits)).json()).toMatchObject({ accepted: 24, rejected: 0 });
    const tooBig = { batch: Array.from({ length: 26 }, () => ({ ...message, type: 'track' })) };
    const res = await post('batch', tooBig);
    expect(res.statusCode).toBe(413);
    expect(res.json()).toMatchObject({ code: 'BATCH_TOO_LARGE', status: 413 });
    const mixed = await post('batch', { batch: [{ ...track(1), type: 'track' }, { ...track(40 * 1024), type: 'track' }, { ...track(2), type: 'track' }] });
    expect(mixed.statusCode).toBe(200);
    expect(mixed.json()).toMatchObject({ accepted: 2, rejected: 1, results: [{ status: 'accepted' }, { status: 'rejected', error: { code: 'MESSAGE_TOO_LARGE', status: 413 } }, { status: 'accepted' }] });
  });

  it('refuses a message without userId and anonymousId with 400 naming the field', async () => {
    const res = await post('track', { event: 'Orphan' });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ pointer: '/userId', detail: 'userId or anonymousId is required' }] });
    const nulls = await post('identify', { userId: null, anonymousId: null, traits: {} });
    expect(nulls.json().errors[0].pointer).toBe('/userId');
  });

  it('names the offending field of other bad messages', async () => {
    const cases: Array<[string, unknown, string]> = [
      ['track', { userId: 'u' }, '/event'],
      ['group', { userId: 'u' }, '/groupId'],
      ['alias', { previousId: 'p', anonymousId: 'a' }, '/userId'],
      ['page', { userId: { id: 1 } }, '/userId'],
      ['screen', { userId: 'u', type: 'track' }, '/type'],
    ];
    for (const [path, body, pointer] of cases) {
      const res = await post(path, body);
      expect(res.statusCode, `${path} ${JSON.stringify(body)}`).toBe(400);
      expect(res.json().errors.map((e: { pointer: string }) => e.pointer)).toContain(pointer);
    }
    const garbage = await post('track', '{nope', { 'content-type': 'application/json' });
    expect(garbage.json()).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
    const notBatch = await post('batch', { messages: [] });
    expect(notBatch.json()).toMatchObject({ status: 400, errors: [{ pointer: '/batch' }] });
  });

  it('reports bad messages of a batch per item and stores the good ones', async () => {
    const res = await post('batch', {
      batch: [{ type: 'track', userId: 'u1', event: 'Ok' }, { type: 'launch', userId: 'u1' }, { type: 'page', name: 'No one' }, { type: 'screen', userId: 'u1', name: 'S' }],
    });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ success: true, accepted: 2, rejected: 2 });
    expect(body.results[1].error.errors[0].pointer).toBe('/type');
    expect(body.results[2].error.errors[0].pointer).toBe('/userId');
  });

  it('merges the batch context into each message, the message winning', async () => {
    const res = await post('batch', {
      context: { app: { name: 'Shop' }, locale: 'de-DE' },
      batch: [{ type: 'track', userId: 'u-ctx', event: 'A' }, { type: 'track', userId: 'u-ctx', event: 'B', context: { locale: 'fr-FR' } }],
    });
    const [a, b] = await Promise.all(res.json().results.map(async (r: { id: string }) => (await t.call('GET', `/v1/events/${r.id}`)).json()));
    expect(a).toMatchObject({ sourceApp: 'Shop', data: { context: { locale: 'de-DE' } } });
    expect(b).toMatchObject({ sourceApp: 'Shop', data: { context: { locale: 'fr-FR', app: { name: 'Shop' } } } });
  });
});

describe('credentials', () => {
  it('takes HTTP Basic, Bearer, a writeKey in the body, and JSON sent as text/plain', async () => {
    const viaBasic = await post('track', { userId: 'u', event: 'Basic' });
    expect(viaBasic.statusCode).toBe(200);
    expect(viaBasic.headers['x-ratelimit-limit'], 'still rate limited per principal').toBe(String(t.config.RATE_LIMIT_PER_MINUTE));
    expect((await t.call('POST', '/v1/track', { userId: 'u', event: 'Bearer' }, t.ingestKey)).statusCode).toBe(200);
    expect((await t.call('POST', '/v1/track', { userId: 'u', event: 'Body', writeKey: t.ingestKey }, null)).statusCode).toBe(200);
    const text = await t.call('POST', '/v1/track', JSON.stringify({ userId: 'u', event: 'Beacon', writeKey: t.ingestKey }), null, { 'content-type': 'text/plain' });
    expect(text.statusCode).toBe(200);
  });

  it('refuses missing and unknown keys with 401', async () => {
    const missing = await t.call('POST', '/v1/track', { userId: 'u', event: 'X' }, null);
    expect(missing.statusCode).toBe(401);
    expect(missing.json()).toMatchObject({ code: 'AUTH_MISSING' });
    const wrong = await t.call('POST', '/v1/batch', { batch: [] }, null, { authorization: basic('er_not_a_key') });
    expect(wrong.json()).toMatchObject({ status: 401, code: 'AUTH_INVALID' });
    const wrongBody = await t.call('POST', '/v1/identify', { userId: 'u', writeKey: 'er_nope' }, null);
    expect(wrongBody.statusCode).toBe(401);
  });
});

describe('tenant trackMapping', () => {
  it('maps track names to the tenant\'s types, ahead of the defaults and slugs', async () => {
    const patch = await t.call('PATCH', '/v1/tenant', { trackMapping: { 'Video Played': 'video.started', 'Order Completed': 'sale.completed', 'Refund Issued': 'order.cancelled' } });
    expect(patch.statusCode).toBe(200);
    try {
      const res = await post('batch', {
        batch: [
          { type: 'track', userId: 'u-map', event: 'Video Played', properties: { videoId: 'v9' } },
          { type: 'track', userId: 'u-map', event: 'Order Completed', properties: { order_id: 'o9' } },
          { type: 'track', userId: 'u-map', event: 'Products Searched', properties: { query: 'bolts' } },
          { type: 'track', userId: 'u-map', event: 'Refund Issued', properties: { order_id: 'o9', reason: 'late' } },
          { type: 'track', userId: 'u-map', event: 'Refund Issued', properties: { reason: 'no order id' } },
        ],
      });
      const results = res.json().results as Array<{ id: string; status: string; error?: { code: string; errors: Array<{ pointer: string }> } }>;
      const types = await Promise.all(results.slice(0, 4).map(async (r) => (await t.call('GET', `/v1/events/${r.id}`)).json().type));
      expect(types).toEqual(['video.started', 'sale.completed', 'search.performed', 'order.cancelled']);
      expect(results[4]).toMatchObject({ status: 'rejected', error: { code: 'EVENT_SCHEMA_INVALID', errors: [{ pointer: '/data/orderId' }] } });
    } finally {
      await t.call('PATCH', '/v1/tenant', { trackMapping: {} });
    }
  });
});
