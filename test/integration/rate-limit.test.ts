/**
 * Rate limits per principal and per tenant (issue 4, item 3), and failed authentications per
 * client address (issue 7), run against the in-memory counter store and Redis alike. With Redis
 * the counters are shared: a second server process (here a second app on the same PostgreSQL
 * schema and Redis prefix) sees the tenant's spent budget and the address's failures.
 */
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createApiKey } from '../../src/identity/keys.service.js';
import { createApp, type App } from '../../src/main.js';
import { createLogger } from '../../src/platform/logger.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { freshPgSchema, redisUrl, uniqueSuffix, type FreshPgSchema } from '../helpers/services.js';

const PRINCIPAL_MAX = 3;
const TENANT_MAX = 5;
const AUTH_FAILURES_MAX = 3;

interface Variant {
  name: 'memory' | 'redis';
  overrides(): Promise<Record<string, unknown>>;
}

const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

const variants: Variant[] = [
  { name: 'memory', overrides: async () => ({}) },
  {
    name: 'redis',
    async overrides() {
      const schema: FreshPgSchema = await freshPgSchema();
      cleanups.push(() => schema.drop());
      return { REDIS_URL: redisUrl(), REDIS_KEY_PREFIX: `rl_${uniqueSuffix()}:`, DATABASE_URL: schema.connectionString, DATABASE_SCHEMA: schema.schema };
    },
  },
];

describe.each(variants)('rate limits ($name counters)', (variant) => {
  let t: TestApp;
  const get = (key: string, app: App = t.app) =>
    app.http!.inject({ method: 'GET', url: '/v1/consumers', headers: { authorization: `Bearer ${key}` } });

  async function newKey(tenantId: string): Promise<string> {
    return (await createApiKey(t.app.backends.store, { tenantId, role: 'admin' })).key;
  }

  it('limits each principal, then the tenant as a whole, and leaves other tenants alone', async () => {
    t = await startTestApp({ ...(await variant.overrides()), RATE_LIMIT_PER_MINUTE: PRINCIPAL_MAX, TENANT_RATE_LIMIT_PER_MINUTE: TENANT_MAX });
    cleanups.push(() => t.close());
    const store = t.app.backends.store;
    const demo = (await store.tenants.bySlug('demo'))!;
    const [first, second] = [await newKey(demo.id), await newKey(demo.id)];
    const other = await newKey((await store.tenants.ensure(`other-${uniqueSuffix()}`)).tenant.id);

    // The first key spends its own budget (the tenant has spent 3 of 5).
    for (let i = 0; i < PRINCIPAL_MAX; i += 1) expect((await get(first)).statusCode).toBe(200);
    const principalLimited = await get(first); // tenant: 4 of 5
    expect(principalLimited.statusCode).toBe(429);
    expect(principalLimited.headers['content-type']).toContain('application/problem+json');
    expect(principalLimited.json()).toMatchObject({ code: 'RATE_LIMITED', status: 429 });
    expect(Number(principalLimited.headers['retry-after'])).toBeGreaterThan(0);

    // A second key of the same tenant has its own principal budget, but the tenant's runs out.
    expect((await get(second)).statusCode).toBe(200); // tenant: 5 of 5
    const tenantLimited = await get(second);
    expect(tenantLimited.statusCode).toBe(429);
    expect(tenantLimited.json()).toMatchObject({ code: 'RATE_LIMITED', status: 429 });
    expect(tenantLimited.json().detail).toContain('tenant demo');
    expect(Number(tenantLimited.headers['retry-after'])).toBeGreaterThan(0);

    // Another tenant is not affected, and public routes are never limited.
    expect((await get(other)).statusCode).toBe(200);
    for (let i = 0; i < TENANT_MAX + 2; i += 1) {
      expect((await t.app.http!.inject({ method: 'GET', url: '/health/live' })).statusCode).toBe(200);
    }
  });

  it('limits failed authentications per address in the same store, before any key lookup', async () => {
    const failures = await startTestApp({ ...(await variant.overrides()), AUTH_FAILURES_PER_MINUTE: AUTH_FAILURES_MAX });
    cleanups.push(() => failures.close());
    const attempt = (key: string, address = '10.1.0.1', app: App = failures.app) =>
      app.http!.inject({ method: 'GET', url: '/v1/consumers', remoteAddress: address, headers: { authorization: `Bearer ${key}` } });
    for (let i = 0; i < AUTH_FAILURES_MAX; i += 1) expect((await attempt(`er_admin_guess${i}`)).statusCode).toBe(401);
    const limited = await attempt(failures.adminKey);
    expect(limited.statusCode).toBe(429);
    expect(limited.json()).toMatchObject({ code: 'RATE_LIMITED', status: 429 });
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect((await attempt(failures.adminKey, '10.1.0.2')).statusCode).toBe(200);
    if (variant.name !== 'redis') return;
    // Another process shares the count: after its own first failure from the address, it refuses too.
    const config = loadConfig({ ...failures.config, PORT: 0, DEMO_TENANT: false }, {});
    const second = await createApp(config, { logger: createLogger('silent') });
    cleanups.push(() => second.stop());
    await second.http!.ready();
    expect((await attempt('er_admin_guess-elsewhere', '10.1.0.1', second)).statusCode).toBe(401);
    expect((await attempt(failures.adminKey, '10.1.0.1', second)).statusCode).toBe(429);
    const redis = new Redis(redisUrl());
    try {
      expect(await redis.keys(`${config.REDIS_KEY_PREFIX}rl:*af:10.1.0.1`)).toHaveLength(1);
    } finally {
      redis.disconnect();
    }
  });

  // Only Redis counters are shared between processes (the capability this variant adds).
  if (variant.name !== 'redis') return;
  it('shares the counters between server processes through Redis', async () => {
    const config = loadConfig({ ...t.config, PORT: 0, DEMO_TENANT: false }, {});
    const second = await createApp(config, { logger: createLogger('silent') });
    cleanups.push(() => second.stop());
    await second.http!.ready();
    const demo = (await t.app.backends.store.tenants.bySlug('demo'))!;
    // A fresh key: its principal budget is untouched, yet the tenant's is spent on the first process.
    const fresh = await newKey(demo.id);
    expect((await get(fresh, second)).statusCode).toBe(429);
    const redis = new Redis(redisUrl());
    try {
      const keys = await redis.keys(`${config.REDIS_KEY_PREFIX}rl:*`);
      expect(keys.filter((key) => key.endsWith(`t:${demo.id}`))).toHaveLength(1);
      if (keys.length > 0) await redis.del(...keys);
    } finally {
      redis.disconnect();
    }
  });
});
