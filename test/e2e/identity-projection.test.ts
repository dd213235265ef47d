/**
 * Segment traits and links, and event counts, are projections of the log on a real server: the
 * request only appends events; a cleared projection comes back from the log through
 * `POST /v1/consumers/:name/replay` (a rebuild of the tenant: same traits and links, counts not
 * doubled); other tenants are untouched; and no entry point but the Segment API may write events
 * with its source, so nobody can stitch someone else's anonymous id by posting a native event.
 */
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../src/identity/keys.service.js';
import { eventually, startTestApp, type TestApp } from '../helpers/app.js';

let t: TestApp;
let otherAdmin: string;

async function projected(eventId: string, key?: string): Promise<void> {
  await eventually(async () => ((await t.call('GET', `/v1/events/${eventId}`, undefined, key)).json().deliveries as Array<{ consumer: string; status: string }>)
    .some((d) => d.consumer === 'identity' && d.status === 'done'));
}
const identify = async (body: object, key = t.ingestKey) => {
  const res = await t.call('POST', '/v1/identify', body, key);
  expect(res.statusCode).toBe(200);
  return res.json().id as string;
};
const traits = async (userId: string, key?: string) => (await t.call('GET', `/v1/users/${userId}/traits`, undefined, key)).json().traits;
const counts = async (key?: string) => ((await t.call('GET', '/v1/events/stats', undefined, key)).json().items as Array<{ type: string; count: number }>)
  .reduce<Record<string, number>>((acc, r) => ({ ...acc, [r.type]: (acc[r.type] ?? 0) + r.count }), {});
const caughtUp = (name: string, key?: string) => eventually(async () => {
  const items = (await t.call('GET', '/v1/consumers', undefined, key)).json().items as Array<{ name: string; lagEvents: number }>;
  return items.find((c) => c.name === name)?.lagEvents === 0;
}, 15_000);

beforeAll(async () => {
  t = await startTestApp();
  const store = t.app.backends.store;
  const { tenant } = await store.tenants.ensure('other-shop');
  otherAdmin = (await createApiKey(store, { tenantId: tenant.id, role: 'admin' })).key;
  const otherIngest = (await createApiKey(store, { tenantId: tenant.id, role: 'ingest' })).key;
  await identify({ anonymousId: 'anon-ann', traits: { email: 'ann@example.com', plan: 'free' } });
  await identify({ userId: 'ann', anonymousId: 'anon-ann', traits: { plan: 'pro' } });
  expect((await t.call('POST', '/v1/alias', { previousId: 'ann-legacy', userId: 'ann' }, t.ingestKey)).statusCode).toBe(200);
  await projected(await identify({ userId: 'ben', traits: { plan: 'team' } }));
  await projected(await identify({ userId: 'ann', traits: { name: 'Ann' } }, otherIngest), otherAdmin);
});
afterAll(async () => { await t.close(); });

describe('the identity projection', () => {
  it('rebuilds a tenant\'s traits and links from the log after they were lost, and leaves other tenants alone', async () => {
    await eventually(async () => (await traits('ann'))?.plan === 'pro');
    const before = { ann: await traits('ann'), ben: await traits('ben') };
    expect(before.ann).toEqual({ email: 'ann@example.com', plan: 'pro' });
    const demoId = (await t.app.backends.store.tenants.bySlug('demo'))!.id;
    const db = t.app.backends.store.db as Kysely<any>;
    await db.deleteFrom('user_traits').where('tenant_id', '=', demoId).execute();
    await db.deleteFrom('identity_links').where('tenant_id', '=', demoId).execute();
    expect((await t.call('GET', '/v1/users/ann/traits')).statusCode).toBe(404);

    const replay = await t.call('POST', '/v1/consumers/identity/replay', {});
    expect(replay.statusCode).toBe(202);
    expect(replay.json()).toMatchObject({ mode: 'rebuild' });
    await caughtUp('identity');
    expect({ ann: await traits('ann'), ben: await traits('ben') }).toEqual(before);
    // The alias is back: an anonymous-only message of the old id is Ann's again.
    const later = await t.call('POST', '/v1/track', { anonymousId: 'ann-legacy', event: 'Came Back' }, t.ingestKey);
    expect((await t.call('GET', `/v1/events/${later.json().id}`)).json().userId).toBe('ann');
    expect(await traits('ann', otherAdmin)).toEqual({ name: 'Ann' });
  });

  it('refuses a selection for a rebuild-only projection, and a member may not replay', async () => {
    expect((await t.call('POST', '/v1/consumers/identity/replay', { types: ['user.identified'] })).statusCode).toBe(400);
    expect((await t.call('POST', '/v1/consumers/identity/replay', {}, await t.memberKey('ann'))).statusCode).toBe(403);
  });

  it('shows a member their own traits only', async () => {
    const ann = await t.memberKey('ann');
    expect(await traits('ann', ann)).toEqual({ email: 'ann@example.com', plan: 'pro' });
    expect((await t.call('GET', '/v1/users/ben/traits', undefined, ann)).statusCode).toBe(403);
    expect((await t.call('GET', '/v1/users/ben/traits', undefined, otherAdmin)).statusCode).toBe(404);
  });
});

describe('privacy', () => {
  it('exports and erases a person\'s traits and links through the app\'s privacy registry; stats hold nothing about them', async () => {
    const demoId = (await t.app.backends.store.tenants.bySlug('demo'))!.id;
    await projected(await identify({ userId: 'cleo', anonymousId: 'anon-cleo', traits: { email: 'cleo@example.com' } }));
    const exported = await t.app.privacy.exportUser(demoId, 'cleo');
    expect(exported.identity).toMatchObject({ traits: { email: 'cleo@example.com' }, links: [{ kind: 'anonymous', fromId: 'anon-cleo', toId: 'cleo' }] });
    expect(exported.stats).toEqual({});
    const erased = await t.app.privacy.eraseUser(demoId, 'cleo');
    expect(erased.byFeature).toMatchObject({ identity: 2, stats: 0 });
    expect((await t.call('GET', '/v1/users/cleo/traits')).statusCode).toBe(404);
    expect(await traits('ben')).toEqual({ plan: 'team' });
  });
});

describe('the Segment source', () => {
  it('is refused on the native and CloudEvents routes, so a member cannot forge an identify that stitches another visitor', async () => {
    const mallory = await t.memberKey('mallory');
    const forged = { type: 'user.identified', source: '/segment', data: { traits: { plan: 'stolen' }, anonymousId: 'anon-ann' } };
    const native = await t.call('POST', '/v1/events', forged, mallory);
    expect(native.statusCode).toBe(400);
    expect(native.json()).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ pointer: '/source' }] });
    const batch = await t.call('POST', '/v1/events/batch', [forged, { type: 'page.viewed', data: {} }], t.ingestKey);
    expect(batch.json().results.map((r: { status: string }) => r.status)).toEqual(['rejected', 'accepted']);
    const ce = await t.call('POST', '/v1/events', { specversion: '1.0', id: 'ce-1', type: 'user.aliased', source: '/segment', data: { previousId: 'ben' } }, t.ingestKey,
      { 'content-type': 'application/cloudevents+json' });
    expect(ce.statusCode).toBe(400);
    // Events of other sources are payload: they stitch nothing and set no traits.
    const other = await t.call('POST', '/v1/events', { ...forged, source: '/apps/x' }, mallory);
    expect(other.statusCode).toBe(202);
    await caughtUp('identity');
    expect((await t.call('GET', '/v1/users/mallory/traits')).statusCode).toBe(404);
    const next = await t.call('POST', '/v1/track', { anonymousId: 'anon-ann', event: 'Next' }, t.ingestKey);
    expect((await t.call('GET', `/v1/events/${next.json().id}`)).json().userId).toBe('ann');
  });
});

describe('the stats projection', () => {
  it('counts each event once, and a replay rebuilds the tenant\'s counts without doubling them', async () => {
    await t.call('POST', '/v1/events/batch', Array.from({ length: 20 }, () => ({ type: 'order.viewed', data: {} })), t.ingestKey);
    await caughtUp('stats');
    const before = await counts();
    expect(before['order.viewed']).toBe(20);
    const otherBefore = await counts(otherAdmin);
    const replay = await t.call('POST', '/v1/consumers/stats/replay', {});
    expect(replay.json()).toMatchObject({ mode: 'rebuild' });
    await caughtUp('stats');
    expect(await counts()).toEqual(before);
    expect(await counts(otherAdmin)).toEqual(otherBefore);
  });
});
