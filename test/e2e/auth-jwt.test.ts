/** JWT bearer tokens: HS256 and JWKS, configurable claims, exp/nbf/aud/iss checks. */
import { createServer, type Server } from 'node:http';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';

const SECRET = 'a-test-secret-that-is-long-enough-0123456789';
const enc = new TextEncoder().encode(SECRET);

async function hs256(claims: Record<string, unknown>, options: { exp?: string | number; nbf?: number; aud?: string; iss?: string } = {}) {
  const jwt = new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setIssuedAt().setAudience(options.aud ?? 'eventrag').setIssuer(options.iss ?? 'https://idp.test');
  jwt.setExpirationTime(options.exp ?? '5m');
  if (options.nbf !== undefined) jwt.setNotBefore(options.nbf);
  return jwt.sign(enc);
}

describe('HS256 tokens', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ JWT_SECRET: SECRET, JWT_AUDIENCE: 'eventrag', JWT_ISSUER: 'https://idp.test', JWT_TENANT_CLAIM: 'org', JWT_ROLES_CLAIM: 'scope' });
  });
  afterAll(async () => { await t.close(); });

  it('maps claims to tenant, user and role', async () => {
    const member = await hs256({ org: 'demo', sub: 'ana', scope: 'read' });
    const sent = await t.call('POST', '/v1/events', { type: 'page.viewed', data: {} }, member);
    expect(sent.statusCode).toBe(202);
    expect((await t.call('GET', `/v1/events/${sent.json().id}`, undefined, member)).json().userId).toBe('ana');
    expect((await t.call('GET', '/v1/consumers', undefined, member)).statusCode).toBe(403);
    const admin = await hs256({ org: 'demo', sub: 'boss', scope: 'admin' });
    expect((await t.call('GET', '/v1/consumers', undefined, admin)).statusCode).toBe(200);
  });

  it('rejects expired, not-yet-valid, wrong audience, wrong issuer, wrong signature and unknown tenant', async () => {
    const now = Math.floor(Date.now() / 1000);
    const bad = [
      await hs256({ org: 'demo', sub: 'x' }, { exp: now - 60 }),
      await hs256({ org: 'demo', sub: 'x' }, { nbf: now + 600 }),
      await hs256({ org: 'demo', sub: 'x' }, { aud: 'someone-else' }),
      await hs256({ org: 'demo', sub: 'x' }, { iss: 'https://evil.test' }),
      await new SignJWT({ org: 'demo', sub: 'x' }).setProtectedHeader({ alg: 'HS256' }).setAudience('eventrag').setIssuer('https://idp.test').setExpirationTime('5m').sign(new TextEncoder().encode('another-secret-another-secret-another-secret')),
      await hs256({ org: 'nope', sub: 'x' }),
      await hs256({ sub: 'x' }),
    ];
    for (const token of bad) {
      const res = await t.call('GET', '/v1/events', undefined, token);
      expect(res.statusCode).toBe(401);
      expect(res.json().code).toBe('AUTH_INVALID');
    }
  });
});

describe('JWKS tokens', () => {
  let t: TestApp;
  let jwks: Server;
  let privateKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
  beforeAll(async () => {
    const pair = await generateKeyPair('ES256');
    privateKey = pair.privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
    jwks = createServer((_req, res) => { res.setHeader('content-type', 'application/json'); res.end(JSON.stringify({ keys: [jwk] })); });
    await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
    const { port } = jwks.address() as { port: number };
    t = await startTestApp({ JWT_JWKS_URL: `http://127.0.0.1:${port}/jwks.json` });
  });
  afterAll(async () => { await t.close(); jwks.close(); });

  it('verifies tokens signed by a key from the JWKS', async () => {
    const token = await new SignJWT({ tenant: 'demo', roles: ['admin'] }).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).setSubject('ops').setExpirationTime('5m').sign(privateKey);
    expect((await t.call('GET', '/v1/consumers', undefined, token)).statusCode).toBe(200);
    const forged = await hs256({ tenant: 'demo', roles: ['admin'] });
    expect((await t.call('GET', '/v1/consumers', undefined, forged)).statusCode).toBe(401);
  });
});

describe('JWKS outage (regression test: an unreachable identity provider is not a failed authentication)', () => {
  it('answers 503 PROVIDER_UNAVAILABLE, and the caller\'s address is not limited for it', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as { port: number };
    await new Promise((resolve) => closed.close(resolve)); // nothing listens there any more
    const t = await startTestApp({ JWT_JWKS_URL: `http://127.0.0.1:${port}/jwks.json`, AUTH_FAILURES_PER_MINUTE: 2 });
    try {
      const { privateKey } = await generateKeyPair('ES256');
      const token = await new SignJWT({ tenant: 'demo' }).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).setSubject('ops').setExpirationTime('5m').sign(privateKey);
      for (let i = 0; i < 4; i += 1) {
        const res = await t.call('GET', '/v1/events', undefined, token);
        expect(res.statusCode).toBe(503);
        expect(res.json().code).toBe('PROVIDER_UNAVAILABLE');
      }
      expect((await t.call('GET', '/v1/events')).statusCode).toBe(200);
    } finally {
      await t.close();
    }
  });
});

describe('token lifetime (regression test for JWTs without exp being accepted forever)', () => {
  const bare = (claims: Record<string, unknown>, iat?: number) => {
    const token = new SignJWT(claims).setProtectedHeader({ alg: 'HS256' });
    if (iat !== undefined) token.setIssuedAt(iat);
    return token.sign(enc);
  };
  const now = () => Math.floor(Date.now() / 1000);

  it('rejects a JWT without exp by default', async () => {
    const t = await startTestApp({ JWT_SECRET: SECRET });
    try {
      const noExp = await t.call('GET', '/v1/events', undefined, await bare({ tenant: 'demo', sub: 'ana' }, now()));
      expect(noExp.statusCode).toBe(401);
      expect(noExp.json()).toMatchObject({ code: 'AUTH_INVALID' });
      expect(noExp.json().detail).toContain('exp');
      const withExp = await new SignJWT({ tenant: 'demo', sub: 'ana' }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('5m').sign(enc);
      expect((await t.call('GET', '/v1/events', undefined, withExp)).statusCode).toBe(200);
      const longSub = await new SignJWT({ tenant: 'demo', sub: 's'.repeat(257) }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('5m').sign(enc);
      expect((await t.call('GET', '/v1/events', undefined, longSub)).statusCode).toBe(401);
    } finally {
      await t.close();
    }
  });

  it('with JWT_MAX_TOKEN_AGE_SECONDS, accepts a JWT without exp whose iat is recent enough', async () => {
    const t = await startTestApp({ JWT_SECRET: SECRET, JWT_MAX_TOKEN_AGE_SECONDS: 60 });
    try {
      expect((await t.call('GET', '/v1/events', undefined, await bare({ tenant: 'demo', sub: 'ana' }, now() - 5))).statusCode).toBe(200);
      const old = await t.call('GET', '/v1/events', undefined, await bare({ tenant: 'demo', sub: 'ana' }, now() - 120));
      expect(old.statusCode).toBe(401);
      expect(old.json().code).toBe('AUTH_INVALID');
      expect((await t.call('GET', '/v1/events', undefined, await bare({ tenant: 'demo', sub: 'ana' }))).statusCode).toBe(401);
    } finally {
      await t.close();
    }
  });
});
