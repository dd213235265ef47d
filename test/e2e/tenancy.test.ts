/**
 * Walks every /v1 route in the OpenAPI document with (a) an admin of another tenant and (b) a
 * member bound to another user, and checks that nothing of tenant A's user "alice" leaks or changes.
 * Alice's marker text is in her events, her traits, her documents of the per-user collections
 * (user-events, chat-messages) and so in search hits and answers. Routes, path parameters and
 * JSON bodies come from the OpenAPI document, so new routes are walked without changing this test.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../src/identity/keys.service.js';
import { eventually, startTestApp, type TestApp } from '../helpers/app.js';

const MARKER = `secret-marker-${Date.now()}`;
/** Streaming routes never finish under inject; test/e2e/realtime.test.ts covers their scoping. */
const STREAMING = new Set(['/v1/stream', '/v1/ws']);

let t: TestApp;
let aliceEventId: string;
let aliceQueryId: string;
let aliceKeyId: string;
let otherTenantAdmin: string;
let bobMember: string;
let tenantAId: string;

beforeAll(async () => {
  t = await startTestApp();
  const store = t.app.backends.store;
  const tenantA = (await store.tenants.bySlug('demo'))!;
  tenantAId = tenantA.id;
  const alice = await createApiKey(store, { tenantId: tenantA.id, role: 'member', userId: 'alice' });
  aliceKeyId = alice.record.id;
  bobMember = (await createApiKey(store, { tenantId: tenantA.id, role: 'member', userId: 'bob' })).key;
  const { tenant: tenantB } = await store.tenants.ensure('other');
  otherTenantAdmin = (await createApiKey(store, { tenantId: tenantB.id, role: 'admin' })).key;
  for (const [name, template] of [['user-events', 'user-events'], ['chat-messages', 'chat-messages'], ['kb', 'policies']]) {
    expect((await t.call('POST', '/v1/collections', { name, template })).statusCode).toBe(201);
  }
  await t.call('PUT', '/v1/collections/kb/documents/travel?wait=true', { title: 'Travel policy', body: 'Vacation in Lisbon needs approval; door codes are kept by facilities.' });
  aliceEventId = (await t.call('POST', '/v1/events', { type: 'page.viewed', userId: 'alice', data: { title: MARKER } }, t.ingestKey)).json().id;
  await t.call('POST', '/v1/events', { type: 'customer.created', userId: 'alice', data: { customerId: 'c1', name: 'A customer' } }, t.ingestKey);
  aliceQueryId = (await t.call('POST', '/v1/events', { type: 'query.executed', data: { query: `${MARKER} vacation in Lisbon` } }, alice.key)).json().id;
  await t.call('POST', '/v1/events', { type: 'message.sent', data: { channel: 'chat', messageId: 'alice-msg', text: `${MARKER} the door code is 4711` } }, alice.key);
  expect((await t.call('POST', '/v1/identify', { userId: 'alice', traits: { note: MARKER } }, t.ingestKey)).statusCode).toBe(200);
  await eventually(async () => (await t.call('GET', '/v1/users/alice/traits')).json().traits?.note === MARKER);
  // Positive control: alice's text is searchable (by an admin), so a leak would show.
  const adminSees = async () => (await t.call('POST', '/v1/search', { query: 'vacation Lisbon door code', collections: ['user-events', 'chat-messages'], mode: 'dense' })).body;
  await eventually(async () => { const body = await adminSees(); return body.includes(aliceQueryId) && body.includes('alice-msg') && body.includes(MARKER); });
  await eventually(async () => (await t.call('GET', '/v1/events/stats')).json().items.length > 0);
});
afterAll(async () => { await t.close(); });

interface OpenApi { paths: Record<string, Record<string, Operation>>; components?: { schemas?: Record<string, Schema> } }
interface Operation { requestBody?: { content?: Record<string, { schema?: Schema }> }; parameters?: Array<{ in: string; name: string }> }
type Schema = Record<string, unknown>;

/** Values for body properties, path and query parameters, by name; the first is the canonical one. */
const VALUES: Record<string, unknown[]> = {
  id: [() => aliceEventId, () => aliceQueryId, 'alice-msg', () => aliceKeyId],
  name: ['stats', 'user-events', 'chat-messages'],
  type: ['customer.created', 'query.executed'],
  userId: ['alice'],
};
const BODY: Record<string, unknown> = {
  query: 'vacation Lisbon door code', collections: ['user-events', 'chat-messages'], userId: 'alice', previousId: 'alice', anonymousId: 'anon-alice',
  filter: { or: [{ eq: { userId: 'alice' } }, { not: { eq: { userId: 'bob' } } }] }, types: ['*'], type: 'query.executed', stream: false,
};
const value = (v: unknown) => (typeof v === 'function' ? (v as () => unknown)() : v);

let api: OpenApi;
async function openApi(): Promise<OpenApi> {
  api ??= (await t.call('GET', '/docs/json', undefined, null)).json() as OpenApi;
  return api;
}

function resolve(schema: Schema | undefined): Schema {
  let s = schema ?? {};
  for (let i = 0; i < 10 && typeof s.$ref === 'string'; i += 1) s = api.components?.schemas?.[(s.$ref as string).split('/').pop()!] ?? {};
  return s;
}

/** A plausible value for a schema: table values by property name, else the simplest valid shape. */
function sample(schema: Schema | undefined, optional: boolean, depth = 0): unknown {
  const s = resolve(schema);
  if (depth > 6) return undefined;
  if (s.const !== undefined) return s.const;
  if (Array.isArray(s.enum)) return s.enum[0];
  if (s.default !== undefined) return s.default;
  const alternatives = (s.anyOf ?? s.oneOf) as Schema[] | undefined;
  if (alternatives) return sample(alternatives[0], optional, depth + 1);
  const type = Array.isArray(s.type) ? s.type[0] : s.type;
  if (type === 'object' || s.properties) {
    const required = new Set((s.required as string[] | undefined) ?? []);
    const out: Record<string, unknown> = {};
    for (const [key, property] of Object.entries((s.properties ?? {}) as Record<string, Schema>)) {
      if (key in BODY && (required.has(key) || optional)) out[key] = BODY[key];
      else if (required.has(key)) out[key] = sample(property, optional, depth + 1);
    }
    return out;
  }
  if (type === 'array') return Array.from({ length: Math.max(1, Number(s.minItems ?? 1)) }, () => sample(s.items as Schema, optional, depth + 1));
  if (type === 'integer' || type === 'number') return Number(s.minimum ?? 1);
  if (type === 'boolean') return false;
  return 'x';
}

/** Every way to call a route: each combination of path values, with no body, `{}`, required and all table fields. */
function* calls(path: string, method: string, op: Operation): Generator<{ url: string; body?: unknown; canonical: boolean }> {
  const params = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
  let fills: Array<Record<string, string>> = [{}];
  for (const param of params) fills = fills.flatMap((f) => (VALUES[param] ?? [() => aliceEventId]).map((v) => ({ ...f, [param]: String(value(v)) })));
  const schema = op.requestBody?.content?.['application/json']?.schema;
  const bodies = ['POST', 'PUT', 'PATCH'].includes(method) ? [{}, ...(schema ? [sample(schema, false), sample(schema, true)] : [])] : [undefined];
  const query = (op.parameters ?? []).filter((p) => p.in === 'query' && p.name in VALUES).map((p) => `${p.name}=${encodeURIComponent(String(value(VALUES[p.name]![0])))}`);
  for (const [i, fill] of fills.entries()) {
    const base = path.replace(/\{(\w+)\}/g, (_, param: string) => encodeURIComponent(fill[param]!));
    for (const [j, body] of bodies.entries()) yield { url: base, body, canonical: i === 0 && j === 0 };
    if (query.length > 0 && method === 'GET') yield { url: `${base}?${query.join('&')}`, canonical: false };
  }
}

async function walk(key: string, sameTenant: boolean) {
  const doc = await openApi();
  const seen: Array<{ route: string; status: number }> = [];
  let count = 0;
  for (const [path, ops] of Object.entries(doc.paths).filter(([p]) => p.startsWith('/v1') && !STREAMING.has(p))) {
    for (const [lower, op] of Object.entries(ops).filter(([m]) => m !== 'parameters')) {
      const method = lower.toUpperCase();
      for (const { url, body, canonical } of calls(path, method, op)) {
        const res = await t.call(method as 'GET', url, body, key);
        count += 1;
        if (canonical) seen.push({ route: `${method} ${path}`, status: res.statusCode });
        const what = `${method} ${url} ${JSON.stringify(body ?? null).slice(0, 120)}`;
        expect(res.statusCode, `${what} answered 500`).toBeLessThan(500);
        expect(res.body, `${what} leaked alice's text`).not.toContain(MARKER);
        if (!sameTenant) expect(res.body, `${what} leaked tenant A's id`).not.toContain(tenantAId);
        if (res.statusCode < 300) expect(res.body, `${what} named alice's query event`).not.toContain(aliceQueryId);
        if (res.statusCode < 300 && method === 'GET') expect(res.body, what).not.toContain(aliceEventId);
      }
    }
  }
  return { seen, count };
}

describe('tenant isolation', () => {
  it('an admin of another tenant sees and changes nothing of tenant A', async () => {
    const { seen } = await walk(otherTenantAdmin, false);
    expect(seen.length).toBeGreaterThan(10);
    const byRoute = Object.fromEntries(seen.map((s) => [s.route, s.status]));
    expect(byRoute['GET /v1/events/{id}']).toBe(404);
    expect(byRoute['DELETE /v1/keys/{id}']).toBe(404);
    expect(byRoute['GET /v1/users/{userId}/traits']).toBe(404);
    // Tenant A is untouched: its event, its member key, its settings, its deliveries, its collections.
    expect((await t.call('GET', `/v1/events/${aliceEventId}`)).statusCode).toBe(200);
    const keys = (await t.call('GET', '/v1/keys')).json().items as Array<{ id: string; revokedAt: string | null }>;
    expect(keys.find((k) => k.id === aliceKeyId)?.revokedAt).toBeNull();
    expect((await t.call('GET', '/v1/tenant')).json().settings.strictTypes).toBe(false);
    const deliveries = (await t.call('GET', `/v1/events/${aliceEventId}`)).json().deliveries as Array<{ consumer: string; status: string }>;
    expect(deliveries.find((d) => d.consumer === 'stats')?.status).toBe('done');
    expect((await t.call('GET', `/v1/collections/user-events/documents/${aliceQueryId}`)).body).toContain(MARKER);
  });

  it('a member bound to another user reads none of alice\'s data, on any route', async () => {
    const { seen, count } = await walk(bobMember, true);
    expect(count).toBeGreaterThan(seen.length * 2);
    const byRoute = Object.fromEntries(seen.map((s) => [s.route, s.status]));
    expect(byRoute['GET /v1/events/{id}']).toBe(404);
    expect(byRoute['GET /v1/users/{userId}/traits']).toBe(403);
    expect(byRoute['GET /v1/consumers']).toBe(403);
    expect(byRoute['POST /v1/consumers/{name}/replay']).toBe(403);
    expect(byRoute['PATCH /v1/tenant']).toBe(403);
    const filtered = await t.call('GET', '/v1/events?userId=alice', undefined, bobMember);
    expect(filtered.statusCode).toBe(403);
    expect(filtered.json().code).toBe('AUTH_FORBIDDEN_USER');
    // The walk's searches did run and find bob's view (the shared collection), not nothing at all.
    const shared = await t.call('POST', '/v1/search', { query: 'vacation Lisbon door code', collections: ['kb', 'user-events'] }, bobMember);
    const hits = shared.json().items as Array<{ documentId: string; collection: string; metadata: { userId?: string } }>;
    expect(hits.map((i) => i.documentId)).toContain('travel');
    expect(hits.every((i) => i.collection === 'kb' || i.metadata.userId === 'bob')).toBe(true);
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
