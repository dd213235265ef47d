/**
 * Authentication limits (regression tests for issue 7, defects 9 and 14): failed authentications
 * are limited per client address and checked before any key lookup; JWT rate-limit buckets are
 * per tenant; the Segment routes count against the tenant limit; user ids and key names are bounded.
 */
import { SignJWT } from 'jose';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createApiKey } from '../../src/identity/keys.service.js';
import { startTestApp, type TestApp } from '../helpers/app.js';

const SECRET = 'a-test-secret-that-is-long-enough-0123456789';
const jwt = (claims: Record<string, unknown>) =>
  new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setIssuedAt().setExpirationTime('5m').sign(new TextEncoder().encode(SECRET));

let t: TestApp;
afterEach(async () => { await t?.close(); });

const from = (address: string, url: string, authorization?: string, payload?: unknown) => t.app.http!.inject({
  method: payload === undefined ? 'GET' : 'POST', url, remoteAddress: address,
  headers: authorization ? { authorization } : {}, ...(payload === undefined ? {} : { payload: payload as object }),
});

describe('failed authentications', () => {
  const MAX = 5;

  it('answers 429 to an address after AUTH_FAILURES_PER_MINUTE failures, before looking up its keys', async () => {
    t = await startTestApp({ AUTH_FAILURES_PER_MINUTE: MAX });
    for (let i = 0; i < MAX; i += 1) {
      const res = await from('10.0.0.1', '/v1/events', `Bearer er_admin_guess${i}`);
      expect(res.statusCode).toBe(401);
      expect(res.json().code).toBe('AUTH_INVALID');
    }
    const lookups = vi.spyOn(t.app.backends.store.apiKeys, 'findByHash');
    const limited = await from('10.0.0.1', '/v1/events', 'Bearer er_admin_guess-next');
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['content-type']).toContain('application/problem+json');
    expect(limited.json()).toMatchObject({ code: 'RATE_LIMITED', status: 429 });
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    // Even a good key from that address waits, and no key was looked up for either request.
    expect((await from('10.0.0.1', '/v1/events', `Bearer ${t.adminKey}`)).statusCode).toBe(429);
    expect(lookups).not.toHaveBeenCalled();
    // Other addresses are not affected; public routes neither.
    expect((await from('10.0.0.2', '/v1/events', `Bearer ${t.adminKey}`)).statusCode).toBe(200);
    expect((await from('10.0.0.1', '/health/live')).statusCode).toBe(200);
  });

  it('counts failures everywhere credentials are taken: JWTs, stream tokens, Segment write keys in the body', async () => {
    t = await startTestApp({ AUTH_FAILURES_PER_MINUTE: MAX, JWT_SECRET: SECRET });
    const forged = await new SignJWT({ tenant: 'demo', roles: ['admin'] }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('5m')
      .sign(new TextEncoder().encode('another-secret-another-secret-another-secret'));
    expect((await from('10.0.0.3', '/v1/events', `Bearer ${forged}`)).statusCode).toBe(401);
    expect((await from('10.0.0.3', '/v1/stream?access_token=er_member_guess')).statusCode).toBe(401);
    for (let i = 0; i < MAX - 2; i += 1) {
      const res = await from('10.0.0.3', '/v1/track', undefined, { writeKey: `er_ingest_guess${i}`, userId: 'u', event: 'Clicked' });
      expect(res.statusCode).toBe(401);
    }
    const limited = await from('10.0.0.3', '/v1/track', undefined, { writeKey: t.ingestKey, userId: 'u', event: 'Clicked' });
    expect(limited.statusCode).toBe(429);
    expect(limited.json().code).toBe('RATE_LIMITED');
  });

  it('counts an IPv6 client by its /64 network', async () => {
    t = await startTestApp({ AUTH_FAILURES_PER_MINUTE: 2 });
    expect((await from('2001:db8:0:7::1', '/v1/events', 'Bearer er_admin_guess1')).statusCode).toBe(401);
    expect((await from('2001:db8:0:7::2', '/v1/events', 'Bearer er_admin_guess2')).statusCode).toBe(401);
    expect((await from('2001:db8:0:7:ffff::3', '/v1/events', `Bearer ${t.adminKey}`)).statusCode).toBe(429);
    expect((await from('2001:db8:0:8::1', '/v1/events', `Bearer ${t.adminKey}`)).statusCode).toBe(200);
  });

  it('names the client by X-Forwarded-For only behind a trusted proxy (TRUST_PROXY)', async () => {
    const via = (peer: string, client: string, key: string) => t.app.http!.inject({
      method: 'GET', url: '/v1/events', remoteAddress: peer, headers: { authorization: `Bearer ${key}`, 'x-forwarded-for': client },
    });
    t = await startTestApp({ AUTH_FAILURES_PER_MINUTE: 2, TRUST_PROXY: '10.9.0.0/16' });
    for (const guess of ['a', 'b']) expect((await via('10.9.0.1', '203.0.113.5', `er_admin_guess${guess}`)).statusCode).toBe(401);
    expect((await via('10.9.0.1', '203.0.113.5', t.adminKey)).statusCode).toBe(429);
    expect((await via('10.9.0.1', '203.0.113.6', t.adminKey)).statusCode).toBe(200); // another client behind the same proxy
    // An untrusted peer cannot choose its address by sending the header.
    for (const client of ['198.51.100.1', '198.51.100.2']) expect((await via('192.0.2.7', client, 'er_admin_guess')).statusCode).toBe(401);
    expect((await via('192.0.2.7', '198.51.100.3', t.adminKey)).statusCode).toBe(429);
  });

  it('checks Segment header credentials before reading the body, and counts Segment requests without credentials', async () => {
    t = await startTestApp({ AUTH_FAILURES_PER_MINUTE: 3 });
    const post = (authorization: string | undefined, payload: string) => t.app.http!.inject({
      method: 'POST', url: '/v1/batch', remoteAddress: '10.0.0.8', payload,
      headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
    });
    const unread = await post(`Basic ${Buffer.from('er_ingest_guess:').toString('base64')}`, '{"batch": [ not json');
    expect(unread.statusCode).toBe(401);
    expect(unread.json().code).toBe('AUTH_INVALID');
    for (let i = 0; i < 2; i += 1) expect((await post(undefined, JSON.stringify({ batch: [{ type: 'track', userId: 'u', event: 'X' }] }))).statusCode).toBe(401);
    expect((await post(`Bearer ${t.ingestKey}`, JSON.stringify({ batch: [] }))).statusCode).toBe(429);
  });

  it('does not count missing credentials or a forbidden role as failures', async () => {
    t = await startTestApp({ AUTH_FAILURES_PER_MINUTE: 2 });
    for (let i = 0; i < 4; i += 1) {
      expect((await from('10.0.0.4', '/v1/events')).statusCode).toBe(401);
      expect((await from('10.0.0.4', '/v1/consumers', `Bearer ${t.ingestKey}`)).statusCode).toBe(403);
    }
    expect((await from('10.0.0.4', '/v1/events', `Bearer ${t.adminKey}`)).statusCode).toBe(200);
  });
});

describe('rate-limit identities', () => {
  it('keeps JWT buckets apart per tenant, with and without a subject', async () => {
    t = await startTestApp({ JWT_SECRET: SECRET, RATE_LIMIT_PER_MINUTE: 3 });
    await t.app.backends.store.tenants.ensure('other');
    const get = async (token: string) => (await t.call('GET', '/v1/events', undefined, token)).statusCode;
    const [demoAna, otherAna] = [await jwt({ tenant: 'demo', sub: 'ana' }), await jwt({ tenant: 'other', sub: 'ana' })];
    for (let i = 0; i < 3; i += 1) expect(await get(demoAna)).toBe(200);
    expect(await get(demoAna)).toBe(429);
    expect(await get(otherAna)).toBe(200);
    const [demoService, otherService] = [await jwt({ tenant: 'demo', roles: ['admin'] }), await jwt({ tenant: 'other', roles: ['admin'] })];
    for (let i = 0; i < 3; i += 1) expect(await get(demoService)).toBe(200);
    expect(await get(demoService)).toBe(429);
    expect(await get(otherService)).toBe(200);
  });

  it('counts the Segment routes against the tenant limit', async () => {
    t = await startTestApp({ TENANT_RATE_LIMIT_PER_MINUTE: 3 });
    const demo = (await t.app.backends.store.tenants.bySlug('demo'))!;
    const second = (await createApiKey(t.app.backends.store, { tenantId: demo.id, role: 'ingest' })).key;
    const track = (key: string) => t.call('POST', '/v1/track', { userId: 'u', event: 'Clicked' }, key);
    for (const key of [t.ingestKey, second, t.ingestKey]) expect((await track(key)).statusCode).toBe(200);
    const limited = await track(second);
    expect(limited.statusCode).toBe(429);
    expect(limited.json().detail).toContain('tenant demo');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
  });
});

describe('bounded identities', () => {
  it('rejects user ids over 256 characters, long key names and oversized track mappings with 400', async () => {
    t = await startTestApp();
    for (const body of [{ role: 'member', userId: 'u'.repeat(100_000) }, { role: 'member', userId: 'u'.repeat(257) }, { role: 'admin', name: 'n'.repeat(201) }]) {
      const res = await t.call('POST', '/v1/keys', body);
      expect(res.statusCode).toBe(400);
      expect(res.json().code).toBe('VALIDATION_FAILED');
    }
    expect((await t.call('POST', '/v1/keys', { role: 'member', userId: 'u'.repeat(256) })).statusCode).toBe(201);
    await expect(createApiKey(t.app.backends.store, { tenantId: 'x', role: 'member', userId: 'u'.repeat(257) })).rejects.toThrow(/256/);
    // Tenant settings travel with every cached principal: the Segment track mapping is bounded too.
    const many = Object.fromEntries(Array.from({ length: 501 }, (_, i) => [`Event ${i}`, 'page.viewed']));
    expect((await t.call('PATCH', '/v1/tenant', { trackMapping: many })).statusCode).toBe(400);
    expect((await t.call('PATCH', '/v1/tenant', { trackMapping: { Played: `a${'b'.repeat(128)}` } })).statusCode).toBe(400);
    expect((await t.call('PATCH', '/v1/tenant', { trackMapping: { Played: 'video.started' } })).statusCode).toBe(200);
  });
});
