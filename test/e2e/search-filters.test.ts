/**
 * Search request limits through HTTP: every `in` list the schema allows works, filters too deep
 * or too large are answered 400 FILTER_TOO_COMPLEX before any work, query limits answer 400, and
 * rejected searches are still tracked. Regression tests for "500 where 400 belongs" and
 * "failed searches are not tracked".
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FILTER_LIMITS } from '../../src/rag/search/filter.limits.js';
import { eventually, startTestApp, type TestApp } from '../helpers/app.js';

let t: TestApp;
// A body depth limit high enough that the filter's own limits are what answers.
beforeAll(async () => {
  t = await startTestApp({ REQUEST_MAX_DEPTH: 1000 });
  await t.call('POST', '/v1/collections', { name: 'kb', textFields: ['body'], metadata: { team: 'string', year: 'number' } });
  await t.call('PUT', '/v1/collections/kb/documents/d1?wait=true', { body: 'Expenses are refunded within thirty days', team: 'finance', year: 2024 });
  await t.call('PUT', '/v1/collections/kb/documents/d2?wait=true', { body: 'Laptops are encrypted and refunded never', team: 'it', year: 2025 });
});
afterAll(async () => { await t.close(); });

const search = (filter: unknown, extra: object = {}) => t.call('POST', '/v1/search', { query: 'refunded', collections: ['kb'], filter, ...extra });
const ids = (res: { json(): { items: Array<{ documentId: string }> } }) => res.json().items.map((i) => i.documentId).sort();

function nested(depth: number): unknown {
  let filter: unknown = { eq: { team: 'it' } };
  for (let i = 1; i < depth; i += 1) filter = { not: filter };
  return filter;
}

describe('filter sizes', () => {
  it('matches numbers and booleans as sent (not turned into strings by validation)', async () => {
    expect(ids(await search({ eq: { year: 2024 } }))).toEqual(['d1']);
    expect(ids(await search({ range: { year: { gte: 2025 } } }))).toEqual(['d2']);
    expect(ids(await search({ eq: { team: '2024' } }))).toEqual([]);
  });

  it('answers in-lists of every length the schema allows (1,024 values), strings and numbers', async () => {
    const teams = [...Array.from({ length: 1023 }, (_, i) => `team-${i}`), 'finance'];
    const res = await search({ in: { team: teams } });
    expect(res.statusCode).toBe(200);
    expect(ids(res)).toEqual(['d1']);
    const years = Array.from({ length: 1024 }, (_, i) => 1500 + i);
    expect(ids(await search({ in: { year: years } }))).toEqual(['d1', 'd2']);
    expect(ids(await search({ and: [{ in: { team: teams } }, { in: { year: years } }, { not: { in: { team: ['it'] } } }] }))).toEqual(['d1']);
  });

  it('rejects a filter nested too deeply with 400 FILTER_TOO_COMPLEX, at 17 and at 600 levels', async () => {
    expect((await search(nested(FILTER_LIMITS.maxDepth))).statusCode).toBe(200);
    for (const depth of [FILTER_LIMITS.maxDepth + 1, 600]) {
      const res = await search(nested(depth));
      expect(res.statusCode, `depth ${depth}`).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json()).toMatchObject({ code: 'FILTER_TOO_COMPLEX', errors: [{ pointer: '/filter' }] });
    }
    const answer = await t.call('POST', '/v1/answer', { query: 'x', collections: ['kb'], filter: nested(600) });
    expect(answer.json().code).toBe('FILTER_TOO_COMPLEX');
  });

  it('rejects too many clauses or values with 400 FILTER_TOO_COMPLEX', async () => {
    const group = (n: number) => ({ or: Array.from({ length: n }, (_, i) => ({ eq: { team: `t${i}` } })) });
    const clauses = { or: Array.from({ length: 5 }, () => group(60)) }; // 306 clauses
    expect((await search(clauses)).json().code).toBe('FILTER_TOO_COMPLEX');
    const values = { and: Array.from({ length: 5 }, () => ({ in: { team: Array.from({ length: 1000 }, (_, i) => `v${i}`) } })) };
    expect((await search(values)).json().code).toBe('FILTER_TOO_COMPLEX');
  });

  it('answers 400 VALIDATION_FAILED for query, collection and limit out of bounds', async () => {
    const bad = [
      { query: 'x'.repeat(2001), collections: ['kb'] },
      { query: '', collections: ['kb'] },
      { query: 'x', collections: ['k'.repeat(65)] },
      { query: 'x', collections: Array.from({ length: 21 }, (_, i) => `c${i}`) },
      { query: 'x', collections: ['kb'], limit: 0 },
      { query: 'x', collections: ['kb'], limit: 101 },
      { query: 'x', collections: ['kb'], limit: 1e309 },
    ];
    for (const body of bad) {
      const res = await t.call('POST', '/v1/search', body);
      expect(res.statusCode, JSON.stringify(body).slice(0, 80)).toBe(400);
      expect(res.json().code).toBe('VALIDATION_FAILED');
    }
  });
});

describe('tracking of rejected searches', () => {
  it('a search answered with 400 or 404 is tracked as search.performed with its status', async () => {
    const query = `tracked-${Date.now()}`;
    expect((await search(nested(600), { query })).statusCode).toBe(400);
    expect((await t.call('POST', '/v1/search', { query, collections: ['missing'] })).statusCode).toBe(404);
    expect((await t.call('POST', '/v1/search', { collections: ['kb'] })).statusCode).toBe(400);
    const tracked = async () => ((await t.call('GET', '/v1/events?type=search.performed&limit=100')).json().items as Array<{ data: { query?: string; status: number; collections?: string[] } }>);
    const found = await eventually(async () => {
      const items = await tracked();
      const ours = items.filter((e) => e.data.query === query);
      return ours.length === 2 && items.some((e) => e.data.status === 400 && e.data.query === undefined) ? ours : null;
    });
    expect(found.map((e) => e.data.status).sort()).toEqual([400, 404]);
    expect(found.find((e) => e.data.status === 404)!.data.collections).toEqual(['missing']);
  });

  it('a rejected answer is tracked as answer.generated with its status', async () => {
    const query = `answer-${Date.now()}`;
    expect((await t.call('POST', '/v1/answer', { query, collections: ['missing'] })).statusCode).toBe(404);
    await eventually(async () => ((await t.call('GET', '/v1/events?type=answer.generated')).json().items as Array<{ data: { query?: string; status: number } }>)
      .some((e) => e.data.query === query && e.data.status === 404));
  });
});
