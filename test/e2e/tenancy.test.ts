/**
 * Walks every /v1 route in the OpenAPI document with (a) an admin of another tenant and (b) a
 * member bound to another user, and checks that nothing of tenant A's user "alice" leaks or changes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../src/identity/keys.service.js';
import { eventually, startTestApp, type TestApp } from '../helpers/app.js';

const MARKER = `secret-marker-${Date.now()}`;
/** Streaming routes never finish under inject; test/e2e/realtime.test.ts covers their scoping. */
const STREAMING = new Set(['/v1/stream', '/v1/ws']);

let t: TestApp;
let aliceEventId: string;
let aliceKeyId: string;
let otherTenantAdmin: string;
let bobMember: string;
let tenantAId: string;

beforeAll(async () => {
  t = await startTestApp();
  const store = t.app.backends.store;
  const res = await t.call('POST', '/v1/events', { type: 'customer.created', userId: 'alice', data: { customerId: 'c1', name: MARKER } }, t.ingestKey);
  aliceEventId = res.json().id;
  await store.identity.mergeTraits((await store.tenants.bySlug('demo'))!.id, 'alice', { note: MARKER }, Date.now());
  const tenantA = (await store.tenants.bySlug('demo'))!;
  tenantAId = tenantA.id;
  aliceKeyId = (await createApiKey(store, { tenantId: tenantA.id, role: 'member', userId: 'alice' })).record.id;
  bobMember = (await createApiKey(store, { tenantId: tenantA.id, role: 'member', userId: 'bob' })).key;
  const { tenant: tenantB } = await store.tenants.ensure('other');
  otherTenantAdmin = (await createApiKey(store, { tenantId: tenantB.id, role: 'admin' })).key;
  await eventually(async () => (await store.stats.appliedCount('stats', tenantA.id)) > 0);
});
afterAll(async () => { await t.close(); });

async function routes(): Promise<Array<{ method: string; path: string }>> {
  const doc = (await t.call('GET', '/docs/json', undefined, null)).json() as { paths: Record<string, Record<string, unknown>> };
  return Object.entries(doc.paths)
    .filter(([path]) => path.startsWith('/v1') && !STREAMING.has(path))
    .flatMap(([path, ops]) => Object.keys(ops).filter((m) => m !== 'parameters').map((method) => ({ method: method.toUpperCase(), path })));
}

function fill(path: string): string {
  const values: Record<string, string> = { id: aliceEventId, name: 'stats', type: 'customer.created', userId: 'alice' };
  return path.replace(/\{(\w+)\}/g, (_, param: string) => encodeURIComponent(values[param] ?? aliceEventId));
}

async function walk(key: string, sameTenant: boolean) {
  const seen: Array<{ route: string; status: number }> = [];
  for (const { method, path } of await routes()) {
    const url = fill(path);
    const body = ['POST', 'PUT', 'PATCH'].includes(method) ? {} : undefined;
    const res = await t.call(method as 'GET', url, body, key);
    seen.push({ route: `${method} ${path}`, status: res.statusCode });
    expect(res.body, `${method} ${url} leaked tenant A data`).not.toContain(MARKER);
    if (!sameTenant) expect(res.body, `${method} ${url} leaked tenant A's id`).not.toContain(tenantAId);
    if (res.statusCode < 300 && method === 'GET') expect(res.body, `${method} ${url}`).not.toContain(aliceEventId);
  }
  return seen;
}

describe('tenant isolation', () => {
  it('an admin of another tenant sees and changes nothing of tenant A', async () => {
    const seen = await walk(otherTenantAdmin, false);
    expect(seen.length).toBeGreaterThan(10);
    const byRoute = Object.fromEntries(seen.map((s) => [s.route, s.status]));
    expect(byRoute['GET /v1/events/{id}']).toBe(404);
    expect(byRoute['DELETE /v1/keys/{id}']).toBe(404);
    expect(byRoute['GET /v1/users/{userId}/traits']).toBe(404);
    // Tenant A is untouched: its event, its member key, its settings, its deliveries.
    expect((await t.call('GET', `/v1/events/${aliceEventId}`)).statusCode).toBe(200);
    const keys = (await t.call('GET', '/v1/keys')).json().items as Array<{ id: string; revokedAt: string | null }>;
    expect(keys.find((k) => k.id === aliceKeyId)?.revokedAt).toBeNull();
    expect((await t.call('GET', '/v1/tenant')).json().settings.strictTypes).toBe(false);
    const deliveries = (await t.call('GET', `/v1/events/${aliceEventId}`)).json().deliveries as Array<{ consumer: string; status: string }>;
    expect(deliveries.find((d) => d.consumer === 'stats')?.status).toBe('done');
  });

  it('a member bound to another user reads none of alice\'s data', async () => {
    const seen = await walk(bobMember, true);
    const byRoute = Object.fromEntries(seen.map((s) => [s.route, s.status]));
    expect(byRoute['GET /v1/events/{id}']).toBe(404);
    expect(byRoute['GET /v1/users/{userId}/traits']).toBe(403);
    expect(byRoute['GET /v1/consumers']).toBe(403);
    expect(byRoute['POST /v1/consumers/{name}/replay']).toBe(403);
    expect(byRoute['PATCH /v1/tenant']).toBe(403);
    const filtered = await t.call('GET', '/v1/events?userId=alice', undefined, bobMember);
    expect(filtered.statusCode).toBe(403);
    expect(filtered.json().code).toBe('AUTH_FORBIDDEN_USER');
  });

  it('an ingest key can only write events', async () => {
    expect((await t.call('GET', '/v1/events', undefined, t.ingestKey)).statusCode).toBe(403);
    expect((await t.call('GET', '/v1/events', undefined, t.ingestKey)).json().code).toBe('AUTH_FORBIDDEN_ROLE');
    expect((await t.call('POST', '/v1/keys', { role: 'admin' }, t.ingestKey)).statusCode).toBe(403);
  });

  it('a member may only send events about themselves', async () => {
    const own = await t.call('POST', '/v1/events', { type: 'page.viewed', data: {} }, bobMember);
    expect(own.statusCode).toBe(202);
    expect((await t.call('GET', `/v1/events/${own.json().id}`)).json().userId).toBe('bob');
    const forged = await t.call('POST', '/v1/events', { type: 'page.viewed', userId: 'alice', data: {} }, bobMember);
    expect(forged.statusCode).toBe(403);
  });

  it('rejects missing and unknown credentials', async () => {
    expect((await t.call('GET', '/v1/events', undefined, null)).json()).toMatchObject({ status: 401, code: 'AUTH_MISSING' });
    expect((await t.call('GET', '/v1/events', undefined, 'er_admin_nope')).json()).toMatchObject({ status: 401, code: 'AUTH_INVALID' });
  });
});
