/**
 * Numbers and dates in querystrings on a real server (regression test for `GET /v1/events?limit=1e309`
 * failing in SQLite with 500): every numeric query parameter of every route is an integer with a
 * minimum and a maximum, and out-of-range, non-finite or fractional values, unusable dates and
 * over-long lists answer 400 problem+json — never a 500.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';

let t: TestApp;
beforeAll(async () => { t = await startTestApp(); });
afterAll(async () => { await t.close(); });

interface Parameter { name: string; in: string; schema?: { type?: string; minimum?: number; maximum?: number; format?: string } }
type Operation = { parameters?: Parameter[] };

async function operations(): Promise<Array<{ method: string; path: string; parameters: Parameter[] }>> {
  const spec = (await t.call('GET', '/docs/json', undefined, null)).json() as { paths: Record<string, Record<string, Operation>> };
  return Object.entries(spec.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({ method: method.toUpperCase(), path, parameters: op.parameters ?? [] })));
}

const HOSTILE = ['1e309', '-1e309', 'Infinity', 'NaN', '1.5', '99999999999', '-1', '0x7fffffffffffffff', '2016-12-31T23:59:60Z', '+275760-09-13T00:00:01Z', ''];
/** Whether the text is an integer the parameter's own bounds accept. */
const inRange = (value: string, p: Parameter) => {
  const n = Number(value);
  return value.trim() !== '' && Number.isInteger(n) && n >= (p.schema?.minimum ?? -Infinity) && n <= (p.schema?.maximum ?? Infinity);
};
// Long-lived streams are exercised by the realtime tests; a valid query there opens a stream.
const STREAMING = new Set(['/v1/stream', '/v1/ws']);

describe('GET /v1/events numbers and dates', () => {
  for (const limit of ['1e309', '-1e309', 'NaN', '1.5', '99999999999', '0', 'Infinity']) {
    it(`limit=${limit} answers 400 VALIDATION_FAILED`, async () => {
      const res = await t.call('GET', `/v1/events?limit=${limit}`);
      expect(res.statusCode).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json().code).toBe('VALIDATION_FAILED');
    });
  }

  for (const date of ['not-a-date', '999999-01-01T00:00:00Z', '2016-12-31T23:59:60Z', '2024-02-30T00:00:00Z']) {
    it(`from=${date} answers 400 on the list and the stats`, async () => {
      for (const url of [`/v1/events?from=${date}`, `/v1/events?to=${date}`, `/v1/events/stats?from=${date}`]) {
        const res = await t.call('GET', url);
        expect(res.statusCode, url).toBe(400);
        expect(res.json().code).toBe('VALIDATION_FAILED');
      }
    });
  }

  it('a replay selection with an unusable date answers 400', async () => {
    const res = await t.call('POST', '/v1/consumers/stats/replay', { from: '2016-12-31T23:59:60Z', dryRun: true });
    expect(res.statusCode).toBe(400);
  });

  it('more than 100 type patterns answer 400; a usable query still answers 200', async () => {
    expect((await t.call('GET', `/v1/events?type=${'a.*,'.repeat(101)}`)).statusCode).toBe(400);
    expect((await t.call('GET', '/v1/events?limit=5&from=2024-01-01T00:00:00Z&type=a.*')).statusCode).toBe(200);
  });

  it('a number in a JSON body that overflows to Infinity answers 400', async () => {
    const res = await t.call('POST', '/v1/search', '{"query":"x","limit":1e309}', t.adminKey, { 'content-type': 'application/json' });
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('VALIDATION_FAILED');
  });
});

describe('every route in /docs/json', () => {
  it('declares each numeric query parameter as an integer with a minimum and a maximum', async () => {
    const numeric = (await operations()).flatMap((op) => op.parameters.filter((p) => p.in === 'query' && ['integer', 'number'].includes(p.schema?.type ?? '')).map((p) => ({ op: `${op.method} ${op.path}`, p })));
    expect(numeric.length).toBeGreaterThan(0);
    for (const { op, p } of numeric) {
      expect(p.schema?.type, `${op} ?${p.name}`).toBe('integer');
      expect(p.schema?.minimum, `${op} ?${p.name} minimum`).toBeTypeOf('number');
      expect(p.schema?.maximum, `${op} ?${p.name} maximum`).toBeTypeOf('number');
    }
  });

  it('answers every hostile value of every query parameter with 4xx, and numeric ones with 400', async () => {
    let calls = 0;
    for (const op of await operations()) {
      if (STREAMING.has(op.path)) continue;
      const path = op.path.replace(/\{[^}]+\}/g, 'x');
      for (const p of op.parameters.filter((q) => q.in === 'query')) {
        for (const value of HOSTILE) {
          const res = await t.call(op.method as 'GET', `${path}?${p.name}=${encodeURIComponent(value)}`, ['POST', 'PUT', 'PATCH'].includes(op.method) ? {} : undefined);
          calls++;
          expect(res.statusCode, `${op.method} ${path}?${p.name}=${value}: ${res.body.slice(0, 200)}`).toBeLessThan(500);
          if (['integer', 'number'].includes(p.schema?.type ?? '') && !inRange(value, p)) {
            expect(res.statusCode, `${op.method} ${path}?${p.name}=${value}`).toBe(400);
          }
        }
      }
    }
    expect(calls).toBeGreaterThan(HOSTILE.length);
  });
});
