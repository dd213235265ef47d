/**
 * Tenant catalog schemas on a real server can never stall other tenants: patterns run on RE2
 * (regression test for `^(a+)+$` blocking every tenant, doubling per character), patterns RE2
 * cannot run are refused at registration, and schemas are bounded in bytes, depth, `$ref`
 * expansion and quadratic keywords; every refusal is 422 CATALOG_SCHEMA_UNSAFE, never a 500.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createApiKey } from '../../src/identity/keys.service.js';
import { startTestApp, type TestApp } from '../helpers/app.js';

let t: TestApp;
beforeAll(async () => { t = await startTestApp(); });
afterAll(async () => { await t.close(); });

const register = (type: string, schema: unknown) => t.call('PUT', `/v1/catalog/types/${type}`, { category: 'test', schema });
const send = (type: string, data: unknown) => t.call('POST', '/v1/events', { type, data }, t.ingestKey);

async function expectUnsafe(schema: unknown, detail?: string) {
  const res = await register('unsafe.schema', schema);
  expect(res.statusCode, res.body).toBe(422);
  expect(res.headers['content-type']).toContain('application/problem+json');
  expect(res.json().code).toBe('CATALOG_SCHEMA_UNSAFE');
  if (detail) expect(res.json().detail).toContain(detail);
}

describe('patterns run in linear time', () => {
  // 40 characters: a backtracking engine needs ~2^40 steps, so a regression hangs this test.
  const evil = `${'a'.repeat(40)}!`;

  it('a catastrophic pattern is accepted and one event is answered while health answers too', async () => {
    expect((await register('redos.pattern', { type: 'object', properties: { name: { type: 'string', pattern: '^(a+)+$' } } })).statusCode).toBe(200);
    const [event, health] = await Promise.all([send('redos.pattern', { name: evil }), t.call('GET', '/health/live', undefined, null)]);
    expect(health.statusCode).toBe(200);
    expect(event.statusCode).toBe(422);
    expect(event.json()).toMatchObject({ code: 'EVENT_SCHEMA_INVALID', errors: [{ pointer: '/data/name' }] });
    expect((await send('redos.pattern', { name: 'a'.repeat(10_000) })).statusCode).toBe(202);
  });

  it('patternProperties and propertyNames run on the same engine', async () => {
    const schema = { type: 'object', patternProperties: { '^(a|aa)+$': { type: 'integer' } }, propertyNames: { pattern: '^(a|a)*(!|b)?$' } };
    expect((await register('redos.keys', schema)).statusCode).toBe(200);
    const res = await send('redos.keys', { [evil]: 'not an integer', [`${'a'.repeat(40)}`]: 'x' });
    expect(res.statusCode).toBe(422);
    expect((await send('redos.keys', { aaaa: 1 })).statusCode).toBe(202);
  });

  it('ordinary patterns keep their meaning (classes, unicode, escapes, named groups)', async () => {
    const schema = { type: 'object', properties: {
      sku: { type: 'string', pattern: '^[A-Z]{3}-\\d{4}$' },
      word: { type: 'string', pattern: '^\\p{L}+$' },
      accent: { type: 'string', pattern: '\\u00e9' },
      year: { type: 'string', pattern: '^(?<year>\\d{4})$' },
    } };
    expect((await register('patterns.ok', schema)).statusCode).toBe(200);
    expect((await send('patterns.ok', { sku: 'ABC-1234', word: 'héllo', accent: 'café', year: '2024' })).statusCode).toBe(202);
    for (const bad of [{ sku: 'abc-1234' }, { word: 'h3llo' }, { accent: 'cafe' }, { year: '24' }]) {
      expect((await send('patterns.ok', bad)).statusCode, JSON.stringify(bad)).toBe(422);
    }
  });

  it('patterns RE2 cannot run (backreferences, lookaround) are refused at registration', async () => {
    await expectUnsafe({ type: 'object', properties: { x: { type: 'string', pattern: '^(a)\\1$' } } }, 'linear time');
    await expectUnsafe({ type: 'object', properties: { x: { type: 'string', pattern: '^(?=a)a$' } } }, 'linear time');
    await expectUnsafe({ type: 'object', patternProperties: { '(?!x)y': {} } }, 'linear time');
    await expectUnsafe({ type: 'object', propertyNames: { pattern: '(a)(?<!b)' } }, 'linear time');
    expect((await t.call('GET', '/v1/catalog/types/unsafe.schema')).statusCode).toBe(404);
  });
});

describe('schemas are bounded', () => {
  it(`a schema over CATALOG_SCHEMA_MAX_BYTES is refused with 422, a much larger body with 413`, async () => {
    const max = t.config.CATALOG_SCHEMA_MAX_BYTES;
    await expectUnsafe({ type: 'object', description: 'x'.repeat(max) }, 'bytes');
    const huge = await register('unsafe.schema', { description: 'x'.repeat(max * 4) });
    expect(huge.statusCode).toBe(413);
    expect(huge.json().code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('a schema nested deeper than REQUEST_MAX_DEPTH is refused before any work', async () => {
    let schema: Record<string, unknown> = { type: 'string' };
    for (let i = 0; i < 40; i++) schema = { type: 'object', properties: { x: schema } };
    const res = await register('unsafe.schema', schema);
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('REQUEST_TOO_DEEP');
  });

  it('$ref: local pointers work; remote, missing, recursive and exponential ones are refused', async () => {
    const ok = { type: 'object', $defs: { id: { type: 'string', minLength: 2 } }, properties: { a: { $ref: '#/$defs/id' }, b: { $ref: '#/$defs/id' } } };
    expect((await register('refs.ok', ok)).statusCode).toBe(200);
    expect((await send('refs.ok', { a: 'xy', b: 'zz' })).statusCode).toBe(202);
    expect((await send('refs.ok', { a: 'x' })).json().code).toBe('EVENT_SCHEMA_INVALID');

    await expectUnsafe({ $ref: 'https://example.com/schema.json' }, 'JSON pointer');
    await expectUnsafe({ properties: { a: { $ref: '#/$defs/missing' } } }, 'does not point');
    await expectUnsafe({ $defs: { node: { type: 'object', properties: { next: { $ref: '#/$defs/node' } } } }, $ref: '#/$defs/node' }, 'recursive');
    await expectUnsafe({ anyOf: [{ $ref: '#' }] }, 'recursive');
    // d0 uses d1 twice, d1 uses d2 twice, …: 2^30 validations of one value.
    const defs: Record<string, unknown> = { d30: { type: 'string' } };
    for (let i = 0; i < 30; i++) defs[`d${i}`] = { allOf: [{ $ref: `#/$defs/d${i + 1}` }, { $ref: `#/$defs/d${i + 1}` }] };
    await expectUnsafe({ $defs: defs, $ref: '#/$defs/d0' }, 'expanded');
  });

  it('a schema of more than 2,000 parts is refused even under the byte limit (compiling costs per part)', async () => {
    const properties = Object.fromEntries(Array.from({ length: 2_500 }, (_, i) => [`p${i}`, {}]));
    expect(JSON.stringify(properties).length).toBeLessThan(t.config.CATALOG_SCHEMA_MAX_BYTES);
    await expectUnsafe({ type: 'object', properties }, '2000 parts');
  });

  it('$id is refused (references stay inside a schema, one tenant never names another)', async () => {
    await expectUnsafe({ $id: 'https://example.com/shared', type: 'object' }, '$id');
    await expectUnsafe({ properties: { a: { $id: 'inner', type: 'string' } } }, '$id');
  });

  it('uniqueItems needs scalar items or a small maxItems (its check is quadratic)', async () => {
    await expectUnsafe({ type: 'array', uniqueItems: true }, 'uniqueItems');
    await expectUnsafe({ type: 'array', items: { type: 'object' }, uniqueItems: true, maxItems: 100_000 }, 'uniqueItems');
    expect((await register('unique.scalars', { type: 'object', properties: { tags: { type: 'array', items: { type: 'string' }, uniqueItems: true } } })).statusCode).toBe(200);
    expect((await register('unique.small', { type: 'object', properties: { rows: { type: 'array', uniqueItems: true, maxItems: 1000 } } })).statusCode).toBe(200);
    expect((await send('unique.scalars', { tags: ['a', 'a'] })).statusCode).toBe(422);
  });

  it('unknown formats and keywords are ignored without writing to the console', async () => {
    const warn = vi.spyOn(console, 'warn');
    const log = vi.spyOn(console, 'log');
    try {
      expect((await register('quiet.formats', { type: 'object', properties: { a: { type: 'string', format: 'no-such-format' } }, 'x-note': 1 })).statusCode).toBe(200);
      expect((await send('quiet.formats', { a: 'anything' })).statusCode).toBe(202);
      expect(warn).not.toHaveBeenCalled();
      expect(log).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
      log.mockRestore();
    }
  });

  it('schemas that do not compile answer 422, not 500', async () => {
    await expectUnsafe({ type: 'nonsense' }, 'does not compile');
    await expectUnsafe({ type: 'string', minLength: -1 }, 'does not compile');
  });

  it('type names are bounded: a 200-character name answers 4xx', async () => {
    const name = `a.${'b'.repeat(200)}`;
    const res = await register(name, { type: 'object' });
    expect(res.statusCode).toBeGreaterThanOrEqual(400);
    expect(res.statusCode).toBeLessThan(500);
    expect(res.headers['content-type']).toContain('application/problem+json');
  });
});

describe("a tenant's catalog is bounded", () => {
  it('registered schemas together may take at most 32 maximal schemas; another tenant is not affected', async () => {
    const store = t.app.backends.store;
    const { tenant } = await store.tenants.ensure('catalog-quota');
    const admin = (await createApiKey(store, { tenantId: tenant.id, role: 'admin' })).key;
    const near = (i: number) => ({ type: 'object', description: `${i}`.padEnd(t.config.CATALOG_SCHEMA_MAX_BYTES - 200, 'x') });
    const put = (i: number) => t.call('PUT', `/v1/catalog/types/quota.t${i}`, { category: 'test', schema: near(i) }, admin);
    for (let i = 0; i < 32; i++) expect((await put(i)).statusCode, `type ${i}`).toBe(200);
    const over = await put(32);
    expect(over.statusCode).toBe(422);
    expect(over.json().code).toBe('CATALOG_SCHEMA_UNSAFE');
    expect(over.json().detail).toContain('together');
    expect((await put(5)).statusCode).toBe(200); // replacing a type counts it once
    expect((await t.call('DELETE', '/v1/catalog/types/quota.t0', undefined, admin)).statusCode).toBe(204);
    expect((await put(32)).statusCode).toBe(200);
    expect((await register('quota.elsewhere', { type: 'object' })).statusCode).toBe(200);
  });
});

describe('registrations are paced (each one compiles a schema on the shared event loop)', () => {
  it('past 60 registrations in a minute an admin gets 429 RATE_LIMITED with retry-after', async () => {
    const { REGISTRATIONS_PER_MINUTE } = await import('../../src/events/catalog/catalog.routes.js');
    const statuses: number[] = [];
    for (let i = 0; i <= REGISTRATIONS_PER_MINUTE; i++) statuses.push((await register(`paced.t${i}`, { type: 'object' })).statusCode);
    const last = await register('paced.last', { type: 'object' });
    expect(last.statusCode).toBe(429);
    expect(last.json().code).toBe('RATE_LIMITED');
    expect(last.headers['retry-after']).toBeDefined();
    expect(statuses.filter((s) => s === 200).length).toBeLessThanOrEqual(REGISTRATIONS_PER_MINUTE);
    expect((await t.call('GET', '/health/live', undefined, null)).statusCode).toBe(200);
  });
});

describe('validation against a tenant schema runs in a worker with a time limit', () => {
  let slow: TestApp;
  beforeAll(async () => { slow = await startTestApp({ CATALOG_VALIDATE_TIMEOUT_MS: 1000 }); });
  afterAll(async () => { await slow.close(); });

  it('an event whose validation costs schema × data answers 422 at a limit while the server keeps answering', async () => {
    // 150 branches tried (and each failure recorded) for each of 25,000 items: on the main
    // thread this ran for minutes; in the worker it meets the time or the memory limit.
    const branches = Array.from({ length: 150 }, (_, i) => ({ pattern: `^[a-z]{1,5}${i}\\d{3}$` }));
    const schema = { type: 'object', properties: { list: { type: 'array', items: { anyOf: branches } } } };
    expect((await slow.call('PUT', '/v1/catalog/types/slow.schema', { category: 'test', schema })).statusCode).toBe(200);
    const data = { list: Array.from({ length: 25_000 }, () => 'zzzzzzz') };
    const [event, health] = await Promise.all([
      slow.call('POST', '/v1/events', { type: 'slow.schema', data }, slow.ingestKey),
      slow.call('GET', '/health/live', undefined, null),
    ]);
    expect(health.statusCode).toBe(200);
    expect(event.statusCode, event.body).toBe(422);
    expect(event.json()).toMatchObject({ code: 'CATALOG_SCHEMA_UNSAFE' });
    expect(event.json().detail).toMatch(/took longer than 1000 ms|needed more than \d+ MB/);
    // The worker was replaced: small events of the type are validated as before.
    const small = await slow.call('POST', '/v1/events', { type: 'slow.schema', data: { list: ['abc1123'] } }, slow.ingestKey);
    expect(small.statusCode, small.body).toBe(202);
    const invalid = await slow.call('POST', '/v1/events', { type: 'slow.schema', data: { list: ['nope'] } }, slow.ingestKey);
    expect(invalid.json().code, invalid.body).toBe('EVENT_SCHEMA_INVALID');
  });
});
