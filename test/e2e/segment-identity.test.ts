/**
 * Segment identity calls by members on a real server: a member sends messages about their own
 * user only and links only ids that are theirs or nobody's (403 AUTH_FORBIDDEN_USER, checked
 * before anything is stored), while ingest and admin keys (the customer's backend) may link any.
 * Regression tests for alias/identify taking over another user's traits and events.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../src/identity/keys.service.js';
import { eventually, startTestApp, type TestApp } from '../helpers/app.js';

let t: TestApp;
let alice: string;
const BOB_TRAITS = { email: 'bob@example.com', plan: 'enterprise' };
const CAROL_TRAITS = { email: 'carol@example.com' };

beforeAll(async () => {
  t = await startTestApp();
  const store = t.app.backends.store;
  const tenant = (await store.tenants.bySlug('demo'))!;
  alice = (await createApiKey(store, { tenantId: tenant.id, role: 'member', userId: 'alice' })).key;
  // The customer's backend: Bob is identified (with his anonymous id), Carol browsed anonymously.
  for (const body of [
    { userId: 'bob', anonymousId: 'anon-bob', traits: BOB_TRAITS },
    { anonymousId: 'anon-carol', traits: CAROL_TRAITS },
  ]) {
    const res = await t.call('POST', '/v1/identify', body, t.ingestKey);
    expect(res.statusCode).toBe(200);
    await projected(res.json().id);
  }
});
afterAll(async () => { await t.close(); });

/** Traits and links are a projection of the log (the identity consumer): wait until it applied the event. */
async function projected(eventId: string): Promise<void> {
  await eventually(async () => ((await t.call('GET', `/v1/events/${eventId}`)).json().deliveries as Array<{ consumer: string; status: string }>)
    .some((d) => d.consumer === 'identity' && d.status === 'done'));
}
const IDENTITY_CALLS = new Set(['identify', 'alias', 'group']);
/** Sends a message; a stored identity message is waited for until its traits and links are applied. */
async function send(path: string, body: object, key = alice) {
  const res = await t.call('POST', `/v1/${path}`, body, key);
  if (res.statusCode === 200 && IDENTITY_CALLS.has(path)) await projected(res.json().id);
  return res;
}
const traits = async (userId: string) => (await t.call('GET', `/v1/users/${userId}/traits`)).json().traits;
const eventsOf = async (type: string) => (await t.call('GET', `/v1/events?type=${type}&limit=1000`)).json().items as Array<{ userId: string | null; data: any }>;

function expectForbidden(res: { statusCode: number; json: () => any }, pointer: string) {
  expect(res.statusCode).toBe(403);
  expect(res.json()).toMatchObject({ code: 'AUTH_FORBIDDEN_USER', status: 403, errors: [{ pointer }] });
}

describe('a member on the Segment routes', () => {
  it('may not alias another user\'s id into their own, and Bob keeps his traits', async () => {
    expectForbidden(await send('alias', { previousId: 'bob', userId: 'alice' }), '/previousId');
    expectForbidden(await send('alias', { previousId: 'anon-bob', userId: 'alice' }), '/previousId');
    expect(await traits('bob')).toEqual(BOB_TRAITS);
    expect((await t.call('GET', '/v1/users/alice/traits')).json().traits ?? {}).not.toHaveProperty('email');
    expect((await eventsOf('user.aliased')).filter((e) => e.userId === 'alice')).toEqual([]);
    // Bob's anonymous id still resolves to Bob.
    const later = await send('track', { anonymousId: 'anon-bob', event: 'Later' }, t.ingestKey);
    expect((await t.call('GET', `/v1/events/${later.json().id}`)).json().userId).toBe('bob');
  });

  it('may not link another visitor\'s anonymous id to themselves', async () => {
    expectForbidden(await send('identify', { userId: 'alice', anonymousId: 'anon-bob' }), '/anonymousId');
    expectForbidden(await send('identify', { userId: 'alice', anonymousId: 'anon-carol' }), '/anonymousId');
    expectForbidden(await send('identify', { anonymousId: 'anon-carol', traits: { plan: 'free' } }), '/anonymousId');
    const carolsNext = await send('page', { anonymousId: 'anon-carol', name: 'Pricing' }, t.ingestKey);
    expect((await t.call('GET', `/v1/events/${carolsNext.json().id}`)).json().userId).toBeNull();
    expect(await traits('anon-carol')).toEqual(CAROL_TRAITS);
  });

  it('may only send messages about their own user id', async () => {
    for (const [path, body] of [
      ['identify', { userId: 'bob', traits: { plan: 'free' } }], ['track', { userId: 'bob', event: 'Hi' }],
      ['group', { userId: 'bob', groupId: 'g1' }], ['page', { userId: 'bob' }], ['alias', { previousId: 'fresh-id', userId: 'bob' }],
    ] as const) expectForbidden(await send(path, body), '/userId');
    expect(await traits('bob')).toEqual(BOB_TRAITS);
  });

  it('may link ids that are theirs or nobody\'s, and group themselves', async () => {
    const identify = await send('identify', { anonymousId: 'anon-alice', traits: { plan: 'pro' } });
    expect(identify.statusCode).toBe(200);
    expect((await t.call('GET', `/v1/events/${identify.json().id}`)).json().userId).toBe('alice');
    expect((await send('identify', { userId: 'alice', anonymousId: 'anon-alice' })).statusCode).toBe(200);
    expect((await send('alias', { previousId: 'alice-old-login', userId: 'alice' })).statusCode).toBe(200);
    expect((await send('group', { anonymousId: 'anon-alice', groupId: 'team-a' })).statusCode).toBe(200);
    const later = await send('track', { anonymousId: 'alice-old-login', event: 'Came Back' }, t.ingestKey);
    expect((await t.call('GET', `/v1/events/${later.json().id}`)).json().userId).toBe('alice');
    expect(await traits('alice')).toEqual({ plan: 'pro' });
    // Once linked to Alice, the alias is no one else's to take.
    const other = (await createApiKey(t.app.backends.store, { tenantId: (await t.app.backends.store.tenants.bySlug('demo'))!.id, role: 'member', userId: 'mallory' })).key;
    expectForbidden(await send('alias', { previousId: 'alice-old-login', userId: 'mallory' }, other), '/previousId');
  });

  it('gets each forbidden batch item rejected with the code, the others stored', async () => {
    const res = await send('batch', {
      batch: [
        { type: 'track', userId: 'alice', event: 'Fine' },
        { type: 'alias', previousId: 'bob', userId: 'alice' },
        { type: 'identify', userId: 'alice', anonymousId: 'anon-carol' },
        { type: 'track', userId: 'bob', event: 'Not Mine' },
        { type: 'identify', anonymousId: 'anon-alice-2', traits: { seen: true } },
      ],
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ accepted: 2, rejected: 3 });
    expect(res.json().results.map((r: { status: string; error?: { code: string } }) => r.error?.code ?? r.status))
      .toEqual(['accepted', 'AUTH_FORBIDDEN_USER', 'AUTH_FORBIDDEN_USER', 'AUTH_FORBIDDEN_USER', 'accepted']);
    expect(await traits('bob')).toEqual(BOB_TRAITS);
    expect(await traits('anon-carol')).toEqual(CAROL_TRAITS);
    expect((await eventsOf('not_mine'))).toEqual([]);
  });
});

describe('the customer\'s backend (ingest key)', () => {
  it('may still link any ids', async () => {
    expect((await send('identify', { userId: 'carol', anonymousId: 'anon-carol' }, t.ingestKey)).statusCode).toBe(200);
    expect(await traits('carol')).toEqual(CAROL_TRAITS);
    expect((await send('alias', { previousId: 'bob-legacy', userId: 'bob' }, t.ingestKey)).statusCode).toBe(200);
  });
});

describe('a member and visitors known only by their events', () => {
  const notesOf = async (apiKey: string) => JSON.stringify((await t.call('GET', '/v1/events?limit=1000', undefined, apiKey)).json().items);

  // Regression test: an anonymous id seen only in track/page events counted as nobody's.
  it('may not claim a visitor whose only trace is track events; the visitor\'s later events stay the visitor\'s', async () => {
    const first = await send('track', { anonymousId: 'anon-erin', event: 'Note', properties: { note: 'erin-private-1' } }, t.ingestKey);
    expect(first.statusCode).toBe(200);
    expectForbidden(await send('identify', { userId: 'alice', anonymousId: 'anon-erin' }), '/anonymousId');
    const later = await send('track', { anonymousId: 'anon-erin', event: 'Note', properties: { note: 'erin-private-2' } }, t.ingestKey);
    expect((await t.call('GET', `/v1/events/${later.json().id}`)).json().userId).toBeNull();
    expect(await notesOf(alice)).not.toContain('erin-private');
  });

  it('may not claim a visitor known only by page views, by identify, group or alias', async () => {
    expect((await send('page', { anonymousId: 'anon-frank', name: 'Pricing' }, t.ingestKey)).statusCode).toBe(200);
    expectForbidden(await send('identify', { anonymousId: 'anon-frank', traits: { plan: 'free' } }), '/anonymousId');
    expectForbidden(await send('group', { userId: 'alice', anonymousId: 'anon-frank', groupId: 'team-f' }), '/anonymousId');
    expectForbidden(await send('alias', { previousId: 'anon-frank', userId: 'alice' }), '/previousId');
    expectForbidden(await send('alias', { previousId: 'alice-fresh-id', userId: 'alice', anonymousId: 'anon-frank' }), '/anonymousId');
    expect((await eventsOf('user.grouped')).filter((e) => e.data.groupId === 'team-f')).toEqual([]);
    const next = await send('page', { anonymousId: 'anon-frank', name: 'Docs' }, t.ingestKey);
    expect((await t.call('GET', `/v1/events/${next.json().id}`)).json().userId).toBeNull();
  });

  it('may not claim an anonymous id another user\'s events carry', async () => {
    expect((await send('track', { userId: 'bob', anonymousId: 'anon-bob-phone', event: 'Opened' }, t.ingestKey)).statusCode).toBe(200);
    expectForbidden(await send('identify', { userId: 'alice', anonymousId: 'anon-bob-phone' }), '/anonymousId');
  });

  it('may link their own earlier anonymous activity, but not once a visitor used the id too', async () => {
    expect((await send('track', { anonymousId: 'anon-alice-phone', event: 'Browsed' })).statusCode).toBe(200);
    expect((await send('identify', { userId: 'alice', anonymousId: 'anon-alice-phone' })).statusCode).toBe(200);
    const later = await send('track', { anonymousId: 'anon-alice-phone', event: 'Came Back' }, t.ingestKey);
    expect((await t.call('GET', `/v1/events/${later.json().id}`)).json().userId).toBe('alice');

    expect((await send('track', { anonymousId: 'anon-shared', event: 'Browsed' })).statusCode).toBe(200);
    expect((await send('track', { anonymousId: 'anon-shared', event: 'Browsed' }, t.ingestKey)).statusCode).toBe(200);
    expectForbidden(await send('group', { anonymousId: 'anon-shared', groupId: 'team-s' }), '/anonymousId');
    expectForbidden(await send('identify', { userId: 'alice', anonymousId: 'anon-shared' }), '/anonymousId');
  });
});
