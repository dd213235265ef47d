/**
 * Next-action prediction over HTTP (SQLite): persons with clear habits get their habitual next
 * type, a new session (client id, or the inactivity gap) starts from the session start and not
 * from the previous session's types, a person with no events gets the tenant's distribution;
 * who may ask (admins any user of their tenant, members themselves, another tenant sees only its
 * own, empty, distribution); bad k; a rebuild by replay with the same answers; erase and export.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../src/identity/keys.service.js';
import { eventually, startTestApp, type TestApp } from '../helpers/app.js';

const MIN = 60_000;
let t: TestApp;
let ann: string;
let otherAdmin: string;
const now = Date.now();
const iso = (ms: number) => new Date(ms).toISOString();
const HABIT = ['app.opened', 'item.searched', 'item.viewed', 'cart.changed'];

async function post(events: object[]): Promise<void> {
  const res = await t.call('POST', '/v1/events/batch', { events }, t.ingestKey);
  expect(res.statusCode, res.body).toBe(202);
}

async function caughtUp(consumer = 'analytics-predict'): Promise<void> {
  await eventually(async () => {
    const c = (await t.call('GET', '/v1/consumers')).json().items.find((i: { name: string }) => i.name === consumer);
    return c && c.replaying === 0 && c.lagEvents === 0;
  });
}

const predict = async (userId: string, query = '', key: string | null = t.adminKey) => t.call('GET', `/v1/analytics/users/${userId}/predict${query}`, undefined, key);
const top = async (userId: string) => (await predict(userId)).json().predictions[0]?.type;

/** Sessions of a habit a day apart, ending `sessions` days ago; each event a minute after the last. */
function sessionsOf(userId: string, types: string[], sessions: number, prefix: string): object[] {
  return Array.from({ length: sessions }, (_, s) => types.map((type, i) => ({
    type, userId, sessionId: `${prefix}-${s}`, time: iso(now - (sessions - s) * 1440 * MIN + i * MIN), data: {},
  }))).flat();
}

beforeAll(async () => {
  t = await startTestApp();
  const store = t.app.backends.store;
  ann = await t.memberKey('ann');
  const { tenant: other } = await store.tenants.ensure('other-predict');
  otherAdmin = (await createApiKey(store, { tenantId: other.id, role: 'admin' })).key;
  await post([
    ...sessionsOf('ann', HABIT, 6, 'a'), ...sessionsOf('bob', ['app.opened', 'report.exported', 'app.closed'], 6, 'b'),
    // Ann's open session (a minute ago): opened, searched.
    { type: 'app.opened', userId: 'ann', sessionId: 'a-now', time: iso(now - 2 * MIN), data: {} },
    { type: 'item.searched', userId: 'ann', sessionId: 'a-now', time: iso(now - MIN), data: {} },
    // Cy's last events two hours ago (no session ids): that session is over.
    { type: 'app.opened', userId: 'cy', time: iso(now - 121 * MIN), data: {} }, { type: 'item.searched', userId: 'cy', time: iso(now - 120 * MIN), data: {} },
  ]);
  await caughtUp();
});

afterAll(async () => { await t?.close(); });

describe('analytics: next-action prediction', () => {
  it('predicts the habitual next type from the person\'s open session', async () => {
    const res = await predict('ann', '?k=2');
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body.predictions).toHaveLength(2);
    expect(body.predictions[0].type).toBe('item.viewed');
    expect(body.predictions[0].probability).toBeGreaterThan(0.5);
    expect(body.predictions[0].probability).toBeGreaterThanOrEqual(body.predictions[1].probability);
    expect(body.context).toEqual({ types: ['app.opened', 'item.searched'], sessionStart: true });
    expect(body.model).toEqual({ name: 'markov-3', maxOrder: 3, order: 3, eventsSeen: 24 + 18 + 4, version: 1 });
    expect(await top('bob')).toBe('app.opened'); // bob's sessions are over: the next one starts
  });

  it('starts a new session from the session start, not from the previous session\'s types', async () => {
    await post([{ type: 'app.opened', userId: 'ann', sessionId: 'a-next', time: iso(now), data: {} }]);
    await caughtUp();
    const body = (await predict('ann')).json();
    // Continuing the previous session would be the context [app.opened, item.searched, app.opened].
    expect(body.context).toEqual({ types: ['app.opened'], sessionStart: true });
    expect(body.predictions[0].type).toBe('item.searched');
    // Past the inactivity gap the next event starts a session: predicted from the session-start distribution.
    const cy = (await predict('cy')).json();
    expect(cy.context).toEqual({ types: [], sessionStart: true });
    expect(cy.model.order).toBe(1);
    expect(cy.predictions[0].type).toBe('app.opened');
  });

  it('gives a person with no events the tenant\'s overall distribution', async () => {
    const body = (await predict('nobody', '?k=20')).json();
    expect(body.context).toEqual({ types: [], sessionStart: false });
    expect(body.model.order).toBe(0);
    expect(body.predictions.map((p: { type: string }) => p.type).sort()).toEqual(['app.closed', 'app.opened', 'cart.changed', 'item.searched', 'item.viewed', 'report.exported']);
    expect(body.predictions[0]).toEqual({ type: 'app.opened', probability: 15 / 47 });
  });

  it('lets admins ask about any user, members only about themselves, other tenants see their own (empty) model', async () => {
    expect((await predict('ann', '', ann)).statusCode).toBe(200);
    const forbidden = await predict('bob', '', ann);
    expect(forbidden.statusCode).toBe(403);
    expect(forbidden.headers['content-type']).toContain('application/problem+json');
    expect(forbidden.body).not.toContain('report.exported');
    expect((await predict('ann', '', t.ingestKey)).statusCode).toBe(403);
    expect((await predict('ann', '', null)).statusCode).toBe(401);
    const other = await predict('ann', '', otherAdmin);
    expect(other.statusCode).toBe(200);
    expect(other.json()).toMatchObject({ predictions: [], context: { types: [] }, model: { eventsSeen: 0 } });
  });

  it('follows the ids stitched to a user: a later anonymous session on a linked device is the context', async () => {
    await post([
      { type: 'user.identified', userId: 'dee', time: iso(now - 30 * MIN), data: { anonymousId: 'v-8' } }, // links v-8 to dee
      { type: 'app.opened', sessionId: 'v8-1', time: iso(now - 2 * MIN), data: { anonymousId: 'v-8' } },
      { type: 'item.searched', sessionId: 'v8-1', time: iso(now - MIN), data: { anonymousId: 'v-8' } },
    ]);
    await caughtUp();
    await caughtUp('analytics-sessions');
    const dee = (await predict('dee')).json();
    expect(dee.context).toEqual({ types: ['app.opened', 'item.searched'], sessionStart: true });
    expect(dee.predictions[0].type).toBe('item.viewed'); // Ann's habit: opened, searched → viewed
    // The anonymous id alone answers from its own context too.
    expect((await predict('v-8')).json().context.types).toEqual(['app.opened', 'item.searched']);
  });

  it('answers 400 for bad input', async () => {
    for (const query of ['?k=0', '?k=21', '?k=abc', '?k=1.5', '?extra=1']) {
      const res = await predict('ann', query);
      expect(res.statusCode, query).toBe(400);
      expect(res.headers['content-type'], query).toContain('application/problem+json');
    }
  });

  it('a rebuild by replay ends with the same predictions', async () => {
    const before = await Promise.all(['ann', 'bob', 'cy', 'nobody'].map(async (u) => (await predict(u, '?k=20')).json()));
    const replay = await t.call('POST', '/v1/consumers/analytics-predict/replay', {});
    expect(replay.statusCode, replay.body).toBe(202);
    expect(replay.json().mode).toBe('rebuild');
    await caughtUp();
    const after = await Promise.all(['ann', 'bob', 'cy', 'nobody'].map(async (u) => (await predict(u, '?k=20')).json()));
    expect(after).toEqual(before);
  });

  it('exports and erases a person\'s context through the privacy registry', async () => {
    const tenantId = (await t.app.backends.store.tenants.bySlug('demo'))!.id;
    const exported = await t.app.privacy.exportUser(tenantId, 'ann');
    expect(exported.analytics!.prediction).toMatchObject({ recentTypes: ['app.opened'], sessionLength: 1 });
    await t.app.privacy.eraseUser(tenantId, 'ann');
    expect((await t.app.privacy.exportUser(tenantId, 'ann')).analytics!.prediction).toBeNull();
    expect((await predict('ann')).json()).toMatchObject({ context: { types: [], sessionStart: false }, model: { order: 0 } });
  });
});
