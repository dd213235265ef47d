/**
 * A person's sessions, engagement, journey and behaviour over HTTP (SQLite): derived sessions from 30 minutes of
 * inactivity and the client's own session ids, the figures of the last days, who may ask
 * (admins about their tenant's users, members about themselves only, other tenants see nothing,
 * the ingest key nothing), bad input answered 400, a rebuild by replay that ends with the same
 * sessions, and a person's erase and export through the privacy registry.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createApiKey } from '../../src/identity/keys.service.js';
import { eventually, startTestApp, type TestApp } from '../helpers/app.js';

const MIN = 60_000;
const DAY = 86_400_000;
let t: TestApp;
let alice: string;
let bob: string;
let otherAdmin: string;
// The events sit at noon (UTC) of the last days and the figures count UTC days up to now: the
// file runs on a clock at 18:00 UTC of the real day (the app runs in this process), so the
// answers do not depend on the hour the suite runs at. Only Date is faked; timers stay real.
vi.useFakeTimers({ toFake: ['Date'], shouldAdvanceTime: true });
vi.setSystemTime(Math.floor(Date.now() / DAY) * DAY + 18 * 60 * MIN);
const today = Math.floor(Date.now() / DAY) * DAY;
/** Noon of `daysAgo` days before today (UTC), plus minutes. */
const at = (daysAgo: number, minutes: number) => new Date(today - daysAgo * DAY + 12 * 60 * MIN + minutes * MIN).toISOString();

async function sessionsDone(eventId: string): Promise<void> {
  await eventually(async () => (await t.call('GET', `/v1/events/${eventId}`)).json().deliveries
    ?.some((d: { consumer: string; status: string }) => d.consumer === 'analytics-sessions' && d.status === 'done'));
}

const sessionsOf = async (userId: string, key: string | null = t.adminKey) => t.call('GET', `/v1/analytics/users/${userId}/sessions`, undefined, key);

beforeAll(async () => {
  t = await startTestApp();
  const store = t.app.backends.store;
  const demo = (await store.tenants.bySlug('demo'))!;
  alice = await t.memberKey('alice');
  bob = await t.memberKey('bob');
  const { tenant: other } = await store.tenants.ensure('other');
  otherAdmin = (await createApiKey(store, { tenantId: other.id, role: 'admin' })).key;
  expect(demo.id).not.toBe(other.id);
  const events = [
    { type: 'app.opened', time: at(2, 0) }, { type: 'item.searched', time: at(2, 10) }, // one session two days ago, 10 min
    { type: 'item.viewed', time: at(1, 0) }, // yesterday
    { type: 'cart.changed', time: at(0, -60), sessionId: 'web-9' }, { type: 'checkout.done', time: at(0, 0), sessionId: 'web-9' }, // today, the client's session
  ];
  let last = '';
  for (const e of events) {
    const res = await t.call('POST', '/v1/events', { ...e, userId: 'alice', data: {} }, t.ingestKey);
    expect(res.statusCode, res.body).toBe(202);
    last = res.json().id;
  }
  // Another tenant's alice, to see tenants kept apart.
  await createApiKey(store, { tenantId: other.id, role: 'ingest' }).then((k) => t.call('POST', '/v1/events', { type: 'page.viewed', userId: 'alice', data: {} }, k.key));
  await sessionsDone(last);
});

afterAll(async () => { await t?.close(); vi.useRealTimers(); });

describe('analytics: sessions and engagement of a person', () => {
  it('lists the person\'s sessions, newest first: two derived, one of the client', async () => {
    const res = await sessionsOf('alice');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().items.map((s: Record<string, unknown>) => [s.derived, s.eventCount, s.durationSeconds, s.entryType, s.exitType])).toEqual([
      [false, 2, 3600, 'cart.changed', 'checkout.done'],
      [true, 1, 0, 'item.viewed', 'item.viewed'],
      [true, 2, 600, 'app.opened', 'item.searched'],
    ]);
    expect(res.json().items[0].sessionKey).toBe('s:web-9');
  });

  it('computes the engagement figures of the last 7 days beside the 7 before', async () => {
    const res = await t.call('GET', '/v1/analytics/users/alice/engagement?days=7');
    expect(res.statusCode, res.body).toBe(200);
    const { figures, from, to, truncated } = res.json();
    expect([from, to]).toEqual([new Date(today - 6 * DAY).toISOString(), new Date(today + DAY).toISOString()]);
    expect(truncated).toBe(false);
    expect(figures.sessions).toEqual({ value: 3, previous: 0, change: null });
    expect(figures.activeDays.value).toBe(3);
    expect(figures.events.value).toBe(5);
    expect(figures.eventsPerSession.value).toBe(1.667);
    expect(figures.averageSessionSeconds.value).toBe(1400); // (600 + 0 + 3600) / 3
    expect(figures.medianSessionSeconds.value).toBe(600);
    expect(figures.currentStreakDays.value).toBe(3);
    expect(figures.longestStreakDays.value).toBe(3);
  });

  it('gives the journey: the person\'s events in the order received, grouped by session, a page at a time', async () => {
    const groups = (body: { sessions: Array<{ sessionKey: string | null; events: Array<{ type: string }> }> }) =>
      body.sessions.map((g) => [g.sessionKey?.slice(0, 2) ?? null, g.events.map((e) => e.type)]);
    const all = await t.call('GET', '/v1/analytics/users/alice/journey');
    expect(all.statusCode, all.body).toBe(200);
    expect(groups(all.json())).toEqual([['d:', ['app.opened', 'item.searched']], ['d:', ['item.viewed']], ['s:', ['cart.changed', 'checkout.done']]]);
    expect(all.json().nextCursor).toBeNull();
    const pages: unknown[] = [];
    for (let cursor: string | null = '', n = 0; cursor !== null && n < 5; n += 1) {
      const res = await t.call('GET', `/v1/analytics/users/alice/journey?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.statusCode, res.body).toBe(200);
      pages.push(groups(res.json()));
      cursor = res.json().nextCursor;
    }
    expect(pages).toEqual([
      [['d:', ['app.opened', 'item.searched']]],
      [['d:', ['item.viewed']], ['s:', ['cart.changed']]],
      [['s:', ['checkout.done']]],
    ]);
    const one = await t.call('GET', '/v1/analytics/users/alice/journey?session=s:web-9');
    expect(groups(one.json())).toEqual([['s:', ['cart.changed', 'checkout.done']]]);
    expect((await t.call('GET', '/v1/analytics/users/alice/journey?session=s:nope')).json().sessions).toEqual([]);
    expect((await t.call('GET', '/v1/analytics/users/alice/journey', undefined, bob)).statusCode).toBe(403);
    expect(groups((await t.call('GET', '/v1/analytics/users/alice/journey', undefined, alice)).json())).toHaveLength(3);
    for (const query of ['cursor=not-ours', 'cursor=', 'limit=0', 'limit=501', `from=${at(0, 0)}&to=${at(1, 0)}`, 'session=']) {
      const res = await t.call('GET', `/v1/analytics/users/alice/journey?${query}`);
      expect(res.statusCode, query).toBe(400);
    }
  });

  it('describes what the person does: types with shares, hours and weekdays in a time zone, typical session length', async () => {
    const res = await t.call('GET', '/v1/analytics/users/alice/behavior?days=7');
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body.events).toBe(5);
    expect(body.types).toEqual(['app.opened', 'cart.changed', 'checkout.done', 'item.searched', 'item.viewed'].map((key) => ({ key, count: 1, share: 0.2 })));
    expect(body.sourceApps).toEqual([{ key: null, count: 5, share: 1 }]);
    expect(body.categories.reduce((n: number, c: { count: number }) => n + c.count, 0)).toBe(5);
    const hours = Array.from({ length: 24 }, () => 0);
    hours[12] = 4; // 12:00, 12:10, 12:00, 12:00 UTC
    hours[11] = 1; // 11:00 UTC
    expect(body.hourOfDay).toEqual(hours);
    const weekday = (daysAgo: number) => (new Date(today - daysAgo * DAY).getUTCDay() + 6) % 7;
    const week = Array.from({ length: 7 }, () => 0);
    for (const daysAgo of [2, 2, 1, 0, 0]) week[weekday(daysAgo)]! += 1;
    expect(body.dayOfWeek).toEqual(week);
    expect(body).toMatchObject({ sessions: 3, typicalSessionSeconds: 600, truncated: false, tz: 'UTC' });
    const tokyo = (await t.call('GET', '/v1/analytics/users/alice/behavior?days=7&tz=Asia/Tokyo')).json();
    expect([tokyo.hourOfDay[21], tokyo.hourOfDay[20]]).toEqual([4, 1]);
    for (const query of ['tz=Mars/Olympus', 'tz=', 'days=0', 'days=400', 'extra=1']) {
      expect((await t.call('GET', `/v1/analytics/users/alice/behavior?${query}`)).statusCode, query).toBe(400);
    }
    expect((await t.call('GET', '/v1/analytics/users/alice/behavior', undefined, bob)).statusCode).toBe(403);
    // Once the categorizer has given the five events an intent, their shares are listed.
    const intents = async () => (await t.call('GET', '/v1/analytics/users/alice/behavior?days=7')).json().intents as Array<{ key: string; count: number; share: number }>;
    await eventually(async () => (await intents()).reduce((n, i) => n + i.count, 0) === 5);
    const listed = await intents();
    expect(listed.every((i) => typeof i.key === 'string' && i.share === Math.round((i.count / 5) * 10_000) / 10_000)).toBe(true);
    const stored = (await t.call('GET', '/v1/events?userId=alice&limit=10')).json().items.map((e: { intent?: { intent: string } }) => e.intent?.intent);
    expect(listed.map((i) => [i.key, i.count])).toEqual(
      [...new Set(stored)].map((key) => [key, stored.filter((k: string) => k === key).length]).sort((a, b) => (b[1] as number) - (a[1] as number) || String(a[0]).localeCompare(String(b[0]))));
  });

  it('lets a member read only their own analytics', async () => {
    expect((await sessionsOf('alice', alice)).json().items).toHaveLength(3);
    expect((await t.call('GET', '/v1/analytics/users/alice/engagement', undefined, alice)).statusCode).toBe(200);
    for (const path of ['/v1/analytics/users/alice/sessions', '/v1/analytics/users/alice/engagement']) {
      const res = await t.call('GET', path, undefined, bob);
      expect(res.statusCode, path).toBe(403);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.body).not.toContain('cart.changed');
    }
    expect((await sessionsOf('bob', bob)).json()).toEqual({ userId: 'bob', items: [] });
    expect((await sessionsOf('alice', t.ingestKey)).statusCode).toBe(403);
    expect((await sessionsOf('alice', null)).statusCode).toBe(401);
  });

  it('shows another tenant none of this tenant\'s sessions', async () => {
    await eventually(async () => (await sessionsOf('alice', otherAdmin)).json().items?.length === 1);
    const theirs = (await sessionsOf('alice', otherAdmin)).json().items;
    expect(theirs.map((s: { entryType: string }) => s.entryType)).toEqual(['page.viewed']);
    const journey = (await t.call('GET', '/v1/analytics/users/alice/journey', undefined, otherAdmin)).json();
    expect(journey.sessions.flatMap((g: { events: Array<{ type: string }> }) => g.events.map((e) => e.type))).toEqual(['page.viewed']);
  });

  it('answers 400 for bad input', async () => {
    for (const path of [
      '/v1/analytics/users/alice/engagement?days=0', '/v1/analytics/users/alice/engagement?days=100000', '/v1/analytics/users/alice/engagement?days=abc',
      '/v1/analytics/users/alice/engagement?extra=1', '/v1/analytics/users/alice/sessions?limit=5000',
      `/v1/analytics/users/alice/sessions?from=${at(0, 0)}&to=${at(1, 0)}`, '/v1/analytics/users/alice/sessions?from=yesterday',
    ]) {
      const res = await t.call('GET', path);
      expect(res.statusCode, path).toBe(400);
      expect(res.headers['content-type'], path).toContain('application/problem+json');
    }
    // A user id over the id length limit is refused at the edge, like every path parameter.
    expect((await t.call('GET', `/v1/analytics/users/${'x'.repeat(300)}/sessions`)).statusCode).toBe(414);
  });

  it('a rebuild by replay ends with the same sessions', async () => {
    const before = (await sessionsOf('alice')).json().items;
    const replay = await t.call('POST', '/v1/consumers/analytics-sessions/replay', {});
    expect(replay.statusCode, replay.body).toBe(202);
    expect(replay.json().mode).toBe('rebuild');
    await eventually(async () => {
      const c = (await t.call('GET', '/v1/consumers')).json().items.find((i: { name: string }) => i.name === 'analytics-sessions');
      return c.replaying === 0 && c.lagEvents === 0;
    });
    expect((await sessionsOf('alice')).json().items).toEqual(before);
  });

  it('exports and erases a person\'s sessions through the privacy registry', async () => {
    const tenantId = (await t.app.backends.store.tenants.bySlug('demo'))!.id;
    const exported = await t.app.privacy.exportUser(tenantId, 'alice');
    expect((exported.analytics!.sessions as unknown[]).length).toBe(3);
    const events = exported.analytics!.events as number;
    expect(events).toBe(5);
    const erased = await t.app.privacy.eraseUser(tenantId, 'alice');
    expect(erased.byFeature.analytics).toBeGreaterThanOrEqual(3 + events); // the sessions, each event's row, and the other parts' rows
    expect((await t.app.privacy.exportUser(tenantId, 'alice')).analytics).toMatchObject({ sessions: [], stitchedIds: [], events: 0 });
    expect((await sessionsOf('alice')).json().items).toEqual([]);
    expect((await sessionsOf('alice', otherAdmin)).json().items).toHaveLength(1);
  });

  it('counts a person\'s anonymous activity and their earlier id once an identify and an alias stitch them', async () => {
    const track = (body: object) => t.call('POST', '/v1/track', body, t.ingestKey);
    for (const [minutes, event] of [[0, 'Landing Viewed'], [3, 'Pricing Viewed']] as const) {
      expect((await track({ anonymousId: 'anon-dora', event, context: { sessionId: 'tab-d' }, timestamp: at(0, minutes) })).statusCode).toBe(200);
    }
    expect((await t.call('POST', '/v1/track', { userId: 'dora-old', event: 'Newsletter Opened', timestamp: at(1, 0) }, t.ingestKey)).statusCode).toBe(200);
    expect((await t.call('POST', '/v1/identify', { anonymousId: 'anon-dora', userId: 'dora', traits: {}, context: { sessionId: 'tab-d' }, timestamp: at(0, 4) }, t.ingestKey)).statusCode).toBe(200);
    expect((await t.call('POST', '/v1/alias', { previousId: 'dora-old', userId: 'dora', context: { sessionId: 'tab-d' }, timestamp: at(0, 5) }, t.ingestKey)).statusCode).toBe(200);
    const last = await t.call('POST', '/v1/events', { type: 'plan.chosen', userId: 'dora', sessionId: 'tab-d', time: at(0, 6), data: {} }, t.ingestKey);
    await sessionsDone(last.json().id);

    const journey = (await t.call('GET', '/v1/analytics/users/dora/journey')).json();
    expect(journey.sessions.map((g: { sessionKey: string; events: Array<{ type: string }> }) => [g.sessionKey.slice(0, 2), g.events.map((e) => e.type)])).toEqual([
      ['d:', ['newsletter_opened']], ['s:', ['landing_viewed', 'pricing_viewed', 'user.identified', 'user.aliased', 'plan.chosen']],
    ]);
     // The client's session holds the anonymous and the identified events as one.
    const sessions = (await sessionsOf('dora')).json().items;
    expect(sessions.map((s: { sessionKey: string; eventCount: number; entryType: string; exitType: string }) => [s.sessionKey, s.eventCount, s.entryType, s.exitType]))
      .toEqual([['s:tab-d', 5, 'landing_viewed', 'plan.chosen'], [expect.stringMatching(/^d:/), 1, 'newsletter_opened', 'newsletter_opened']]);
    expect((await t.call('GET', '/v1/analytics/users/dora/behavior')).json().events).toBe(6);
    // The member dora sees all of it; someone holding the anonymous id's key sees only that id's own events.
    expect((await sessionsOf('dora', await t.memberKey('dora'))).json().items).toHaveLength(2);
    const anonymous = (await t.call('GET', '/v1/analytics/users/anon-dora/journey', undefined, await t.memberKey('anon-dora'))).json();
    expect(anonymous.sessions.flatMap((g: { events: Array<{ type: string }> }) => g.events.map((e) => e.type))).toEqual(['landing_viewed', 'pricing_viewed']);
    expect((await t.call('GET', '/v1/analytics/users/dora/journey', undefined, await t.memberKey('anon-dora'))).statusCode).toBe(403);
    // A member cannot stitch someone else's anonymous id to themselves.
    const mallory = await t.memberKey('mallory');
    const claimed = await t.call('POST', '/v1/events', { type: 'page.viewed', userId: 'mallory', data: { anonymousId: 'anon-dora' } }, mallory);
    expect(claimed.statusCode, claimed.body).toBe(202);
    await sessionsDone(claimed.json().id);
    expect((await t.call('GET', '/v1/analytics/users/mallory/behavior', undefined, mallory)).json().events).toBe(1);
  });
});

