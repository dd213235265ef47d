import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { Value } from 'typebox/value';
import { compileFilter } from '../../src/adapters/search/embedded/filter.sql.js';
import type { Metadata } from '../../src/ports/search-index.port.js';
import { FilterSchema } from '../../src/rag/search/filter.schema.js';
import { matchesFilter, type Filter } from '../../src/ports/search-filter.js';
import { checkFilterSize, FILTER_LIMITS } from '../../src/rag/search/filter.limits.js';

const rows: Metadata[] = [
  { category: 'a', price: 5, tags: ['x', 'y'], flag: true, date: '2024-01-05' },
  { category: 'b', price: 15.5, tags: ['y'], flag: false, date: '2024-02-01' },
  { category: 'a', price: 25, tags: [], flag: true, note: null },
  { category: 'c', price: '30', flag: 1 },
  {},
];

const cases: [Filter, number[]][] = [
  [{ eq: { category: 'a' } }, [0, 2]],
  [{ eq: { tags: 'y' } }, [0, 1]],
  [{ eq: { flag: true } }, [0, 2]],
  [{ eq: { flag: 1 } }, [3]],
  [{ eq: { price: 15.5 } }, [1]],
  [{ eq: { note: null } }, [0, 1, 2, 3, 4]],
  [{ in: { category: ['b', 'c'] } }, [1, 3]],
  [{ in: { tags: ['x', 'z'] } }, [0]],
  [{ range: { price: { gte: 5, lt: 25 } } }, [0, 1]],
  [{ range: { price: { gt: 20 } } }, [2]],
  [{ range: { date: { gte: '2024-01-10' } } }, [1]],
  [{ exists: 'note' }, []],
  [{ exists: 'date' }, [0, 1]],
  [{ and: [{ eq: { category: 'a' } }, { range: { price: { lte: 10 } } }] }, [0]],
  [{ or: [{ eq: { category: 'c' } }, { eq: { tags: 'x' } }] }, [0, 3]],
  [{ not: { eq: { category: 'a' } } }, [1, 3, 4]],
];

describe('metadata filters', () => {
  const db = new Database(':memory:');
  db.exec('CREATE TABLE chunks (label INTEGER PRIMARY KEY, metadata TEXT)');
  rows.forEach((row, i) => db.prepare('INSERT INTO chunks VALUES (?, ?)').run(i, JSON.stringify(row)));

  for (const [filter, expected] of cases) {
    it(`${JSON.stringify(filter)} → rows ${expected.join(',') || 'none'} in JS and SQL`, () => {
      expect(Value.Check(FilterSchema, filter)).toBe(true);
      expect(rows.flatMap((row, i) => (matchesFilter(filter, row) ? [i] : []))).toEqual(expected);
      const { sql, params } = compileFilter(filter);
      const found = db.prepare(`SELECT c.label FROM chunks c WHERE ${sql} ORDER BY c.label`).all(...params) as { label: number }[];
      expect(found.map((row) => row.label)).toEqual(expected);
    });
  }

  it('rejects malformed filters by schema', () => {
    for (const bad of [{ eq: { a: 1, b: 2 } }, { eq: { 'bad key': 1 } }, { range: { p: {} } }, { in: { a: [] } }, { foo: 1 }, { and: [] }]) {
      expect(Value.Check(FilterSchema, bad)).toBe(false);
    }
  });
});

describe('filter size limits', () => {
  const nested = (depth: number): Filter => {
    let filter: Filter = { eq: { category: 'a' } };
    for (let i = 1; i < depth; i += 1) filter = i % 2 ? { not: filter } : { and: [filter] };
    return filter;
  };
  const code = (filter: unknown) => {
    try { checkFilterSize(filter); return 'ok'; } catch (error) { return (error as { code?: string }).code; }
  };

  it('accepts filters up to the limits and rejects one step beyond with FILTER_TOO_COMPLEX', () => {
    expect(code(nested(FILTER_LIMITS.maxDepth))).toBe('ok');
    expect(code(nested(FILTER_LIMITS.maxDepth + 1))).toBe('FILTER_TOO_COMPLEX');
    expect(code(nested(10_000))).toBe('FILTER_TOO_COMPLEX'); // no recursion: no stack overflow
    const leaves = (n: number): Filter => ({ or: Array.from({ length: n }, (_, i) => ({ eq: { category: `c${i}` } })) });
    expect(code(leaves(FILTER_LIMITS.maxClauses - 1))).toBe('ok');
    expect(code(leaves(FILTER_LIMITS.maxClauses))).toBe('FILTER_TOO_COMPLEX');
    const values = (n: number): Filter => ({ and: Array.from({ length: Math.ceil(n / 1024) }, (_, i) => ({ in: { category: Array.from({ length: Math.min(1024, n - i * 1024) }, (_, j) => `v${j}`) } })) });
    expect(code(values(FILTER_LIMITS.maxValues))).toBe('ok');
    expect(code(values(FILTER_LIMITS.maxValues + 1))).toBe('FILTER_TOO_COMPLEX');
    expect(code({ foo: 1 })).toBe('ok'); // not a filter: left to the schema
  });

  it('runs the largest filters the limits allow in SQLite (no expression-tree overflow)', () => {
    const db = new Database(':memory:');
    db.exec('CREATE TABLE chunks (label INTEGER PRIMARY KEY, metadata TEXT)');
    rows.forEach((row, i) => db.prepare('INSERT INTO chunks VALUES (?, ?)').run(i, JSON.stringify(row)));
    const many = Array.from({ length: 1024 }, (_, i) => (i === 1023 ? 'c' : `v${i}`));
    const wide: Filter = { or: Array.from({ length: 4 }, () => ({ in: { category: many } })) };
    const deep = nested(FILTER_LIMITS.maxDepth);
    const group = (n: number): Filter => ({ or: Array.from({ length: n }, (_, i) => ({ in: { category: [`x${i}`, 'a', 'b'] } })) });
    const chain: Filter = { and: [nested(FILTER_LIMITS.maxDepth - 1), { or: [group(64), group(64), group(64), group(40)] }] };
    for (const filter of [wide, deep, chain]) {
      checkFilterSize(filter);
      expect(Value.Check(FilterSchema, filter)).toBe(true);
      const { sql, params } = compileFilter(filter);
      const found = db.prepare(`SELECT c.label FROM chunks c WHERE ${sql} ORDER BY c.label`).all(...params) as { label: number }[];
      expect(found.map((row) => row.label)).toEqual(rows.flatMap((row, i) => (matchesFilter(filter, row) ? [i] : [])));
    }
    // The SQL text does not depend on the number of values (prepared statements stay cached).
    expect(compileFilter({ in: { category: many } }).sql).toBe(compileFilter({ in: { category: ['a', 'b'] } }).sql);
  });
});
