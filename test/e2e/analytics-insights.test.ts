/**
 * Tenant insights over HTTP (SQLite): events posted natively and through Segment (an anonymous
 * visitor identified later counts as that user), the analytics-sessions projection awaited, then
 * funnels (three orders, breakdown), retention, paths, trends and the overview checked against
 * answers worked out by hand; admins only (members and ingest keys 403), another tenant's events
 * never counted, bad parameters 400 problem+json, and a rebuild by replay gives the same answers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../src/identity/keys.service.js';
import { eventually, startTestApp, type TestApp } from '../helpers/app.js';

const MIN = 60_000;
const DAY = 86_400_000;
let t: TestApp;
let otherAdmin: string;
const today = Math.floor(Date.now() / DAY) * DAY;
const D0 = today - 4 * DAY; // the fixture's first day (UTC)
const B = D0 + 12 * 60 * MIN; // its noon
const at = (minutes: number) => new Date(B + minutes * MIN).toISOString();
const iso = (ms: number) => new Date(ms).toISOString();

async function projected(eventId: string, key = t.adminKey): Promise<void> {
  await eventually(async () => (await t.call('GET', `/v1/events/${eventId}`, undefined, key)).json().deliveries
    ?.some((d: { consumer: string; status: string }) => d.consumer === 'analytics-sessions' && d.status === 'done'));
}

async function post(url: string, body: unknown, key = t.ingestKey): Promise<string> {
  const res = await t.call('POST', url, body, key);
  expect(res.statusCode, res.body).toBeLessThan(300);
  return res.json().id ?? res.json().eventId;
}

const get = (url: string, key: string | null = t.adminKey) => t.call('GET', url, undefined, key);
const funnelUrl = (extra = '') => `/v1/analytics/funnels?steps=product_viewed,signup_done,checkout_done&within=1h&from=${at(-60)}&to=${at(60)}${extra}`;

beforeAll(async () => {
  t = await startTestApp();
  const store = t.app.backends.store;
  const { tenant: other } = await store.tenants.ensure('other');
  otherAdmin = (await createApiKey(store, { tenantId: other.id, role: 'admin' })).key;
  const otherIngest = (await createApiKey(store, { tenantId: other.id, role: 'ingest' })).key;
  // An anonymous visitor (Segment), identified as alice a minute later; alice goes on as herself.
  await post('/v1/track', { anonymousId: 'anon-1', event: 'product_viewed', properties: { plan: 'pro' }, timestamp: at(0) });
  await post('/v1/identify', { anonymousId: 'anon-1', userId: 'alice', traits: {}, timestamp: at(1) });
  const native = (userId: string, type: string, minutes: number, data: Record<string, unknown> = {}) => post('/v1/events', { type, userId, time: at(minutes), data });
  await native('alice', 'signup_done', 5);
  await native('alice', 'checkout_done', 10);
  await native('bob', 'product_viewed', 2, { plan: 'free' });
  await native('bob', 'signup_done', 20);
  await native('carol', 'product_viewed', 0, { plan: 'pro' });
  await native('carol', 'checkout_done', 3);
  await native('carol', 'product_viewed', 24 * 60);
  // The other tenant's people go through the whole funnel: they must never count here.
  for (const [type, minutes] of [['product_viewed', 0], ['signup_done', 1], ['checkout_done', 2]] as const) {
    await post('/v1/events', { type, userId: 'alice', time: at(minutes), data: {} }, otherIngest);
  }
  await projected(await native('alice', 'product_viewed', 2 * 24 * 60));
  await projected(await post('/v1/events', { type: 'page.viewed', userId: 'zed', data: {} }, otherIngest), otherAdmin);
});

afterAll(async () => { await t?.close(); });

describe('analytics insights', () => {
  it('funnels: ordered, with anonymous events stitched to the identified user', async () => {
    const res = await get(funnelUrl());
    expect(res.statusCode, res.body).toBe(200);
    // alice (anon-1's view, then her signup 5 min and checkout 10 min after) 3 steps; bob views and signs up
    // 18 min later; carol views and checks out without signing up. Without stitching anon-1 would be a 4th person.
    expect(res.json().steps.map((s: Record<string, unknown>) => [s.type, s.people, s.conversionFromFirst, s.conversionFromPrevious, s.averageSecondsToConvert, s.medianSecondsToConvert])).toEqual([
      ['product_viewed', 3, 1, 1, null, null],
      ['signup_done', 2, 0.6667, 0.6667, 690, 690], // (300 + 1080) / 2
      ['checkout_done', 1, 0.3333, 0.5, 300, 300],
    ]);
    expect(res.json()).toMatchObject({ order: 'ordered', withinSeconds: 3600, truncated: false });
  });

  it('funnels: strict (alice\'s identify comes between her view and signup), unordered, and a breakdown', async () => {
    expect((await get(funnelUrl('&order=strict'))).json().steps.map((s: { people: number }) => s.people)).toEqual([3, 1, 0]);
    // Unordered: carol's view and checkout are 2 of the 3.
    expect((await get(funnelUrl('&order=unordered'))).json().steps.map((s: { people: number }) => s.people)).toEqual([3, 3, 1]);
    const res = await get(funnelUrl('&breakdown=plan'));
    expect(res.statusCode, res.body).toBe(200);
    // plan of each person's first step: alice (anon-1's track property) pro, carol pro, bob free.
    expect(res.json().breakdown.values.map((v: { value: string; steps: Array<{ people: number }> }) => [v.value, v.steps.map((s) => s.people)]))
      .toEqual([['pro', [2, 1, 1]], ['free', [1, 1, 0]]]);
    expect(res.json().breakdown.other).toBeNull();
  });

  it('retention: first-time cohorts per day', async () => {
    const res = await get(`/v1/analytics/retention?event=product_viewed&period=day&intervals=3&from=${iso(D0)}&to=${iso(D0 + 3 * DAY)}`);
    expect(res.statusCode, res.body).toBe(200);
    // Day 0: alice (as anon-1), bob, carol; carol views again on day 1, alice on day 2. Nobody's first view is later.
    expect(res.json().cohorts).toEqual([
      { cohort: iso(D0), size: 3, values: [3, 1, 1] },
      { cohort: iso(D0 + DAY), size: 0, values: [0, 0] },
      { cohort: iso(D0 + 2 * DAY), size: 0, values: [0] },
    ]);
    const recurring = await get(`/v1/analytics/retention?event=product_viewed&returning=signup_done&type=recurring&period=day&intervals=2&from=${iso(D0)}&to=${iso(D0 + 2 * DAY)}`);
    expect(recurring.json().cohorts.map((c: { values: number[] }) => c.values)).toEqual([[3, 0], [1]]);
  });

  it('paths from a type, within sessions', async () => {
    const res = await get(`/v1/analytics/paths?from=signup_done&since=${iso(D0)}&until=${iso(D0 + 3 * DAY)}`);
    expect(res.statusCode, res.body).toBe(200);
    // alice: signup → checkout 5 minutes later; bob's signup ends his session's path.
    expect(res.json()).toMatchObject({ paths: 2, edges: [{ source: '1_signup_done', target: '2_checkout_done', value: 1, averageTimeS: 300 }], truncated: false });
  });

  it('trends per day, beside the period before', async () => {
    const res = await get(`/v1/analytics/trends?types=product_viewed,signup_done&interval=day&from=${iso(D0)}&to=${iso(D0 + 3 * DAY)}&compare=previous`);
    expect(res.statusCode, res.body).toBe(200);
    const { series, previous } = res.json();
    expect(series.map((s: { type: string; total: unknown; data: Array<{ count: number; people: number }> }) => [s.type, s.total, s.data.map((d) => [d.count, d.people])])).toEqual([
      ['product_viewed', { count: 5, people: 3 }, [[3, 3], [1, 1], [1, 1]]],
      ['signup_done', { count: 2, people: 2 }, [[2, 2], [0, 0], [0, 0]]],
    ]);
    expect(previous.from).toBe(iso(D0 - 3 * DAY));
    expect(previous.series[0].total).toEqual({ count: 0, people: 0 });
  });

  it('overview: events, people and sessions per day, top types', async () => {
    const res = await get('/v1/analytics/overview?days=7');
    expect(res.statusCode, res.body).toBe(200);
    const { days, totals, topTypes } = res.json();
    expect(days).toHaveLength(7);
    // 10 events with a person (the identify too), 3 people (anon-1 is alice).
    expect(totals.events).toBe(10);
    expect(totals.people).toBe(3);
    expect(days.find((d: { day: string }) => d.day === iso(D0).slice(0, 10))).toMatchObject({ events: 8, people: 3 });
    expect(topTypes[0]).toEqual({ type: 'product_viewed', events: 5 });
    expect(res.json().truncated).toBe(false);
  });

  it('admins only: members and ingest keys 403; another tenant sees only its own', async () => {
    const member = await t.memberKey('alice');
    for (const url of [funnelUrl(), '/v1/analytics/retention?event=a', '/v1/analytics/paths', '/v1/analytics/trends?types=a', '/v1/analytics/overview']) {
      for (const key of [member, t.ingestKey]) {
        const res = await get(url, key);
        expect(res.statusCode, url).toBe(403);
        expect(res.headers['content-type']).toContain('application/problem+json');
      }
      expect((await get(url, null)).statusCode).toBe(401);
    }
    expect((await get(funnelUrl(), otherAdmin)).json().steps.map((s: { people: number }) => s.people)).toEqual([1, 1, 1]);
    expect((await get('/v1/analytics/overview?days=7', otherAdmin)).json().totals).toMatchObject({ events: 4, people: 2 });
  });

  it('refuses bad parameters with 400 problem+json', async () => {
    const bad = [
      funnelUrl('&order=sideways'),
      '/v1/analytics/funnels?steps=a',
      `/v1/analytics/funnels?steps=${Array.from({ length: 11 }, (_, i) => `s${i}`).join(',')}`,
      '/v1/analytics/funnels?steps=a,b&within=91d',
      '/v1/analytics/funnels?steps=a,b&within=0d',
      '/v1/analytics/funnels?steps=a,B!',
      '/v1/analytics/funnels?steps=a,,b',
      `/v1/analytics/funnels?steps=a,b&from=${at(10)}&to=${at(0)}`,
      '/v1/analytics/funnels?steps=a,b&from=2020-01-01T00:00:00Z&to=2026-01-01T00:00:00Z', // past 366 days
      '/v1/analytics/funnels?steps=a,b&breakdown=a%20b',
      '/v1/analytics/funnels?steps=a,b&extra=1',
      `/v1/analytics/trends?types=${Array.from({ length: 11 }, (_, i) => `t${i}`).join(',')}`,
      '/v1/analytics/trends?types=a&interval=hour&from=2026-01-01T00:00:00Z&to=2026-03-01T00:00:00Z', // past 744 hours
      '/v1/analytics/retention?event=a&period=day&from=2026-01-01T00:00:00Z&to=2026-12-01T00:00:00Z', // past 120 cohorts
      '/v1/analytics/retention?event=a&intervals=37',
      '/v1/analytics/paths?steps=21',
      '/v1/analytics/paths?since=2026-01-01T00:00:00Z&until=2026-03-01T00:00:00Z', // past 31 days
      '/v1/analytics/overview?days=91',
    ];
    for (const url of bad) {
      const res = await get(url);
      expect(res.statusCode, url).toBe(400);
      expect(res.headers['content-type'], url).toContain('application/problem+json');
    }
  });

  it('a rebuild by replay gives the same answers', async () => {
    const urls = [funnelUrl('&breakdown=plan'), `/v1/analytics/paths?since=${iso(D0)}&until=${iso(D0 + 3 * DAY)}`, `/v1/analytics/retention?event=product_viewed&period=day&from=${iso(D0)}&to=${iso(D0 + 3 * DAY)}`];
    const before = await Promise.all(urls.map(async (u) => (await get(u)).json()));
    const replay = await t.call('POST', '/v1/consumers/analytics-sessions/replay', {});
    expect(replay.statusCode, replay.body).toBe(202);
    await eventually(async () => {
      const c = (await t.call('GET', '/v1/consumers')).json().items.find((i: { name: string }) => i.name === 'analytics-sessions');
      return c.replaying === 0 && c.lagEvents === 0;
    });
    expect(await Promise.all(urls.map(async (u) => (await get(u)).json()))).toEqual(before);
  });
});
