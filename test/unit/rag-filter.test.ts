import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { Value } from 'typebox/value';
import { compileFilter } from '../../src/adapters/search/embedded/filter.sql.js';
import type { Metadata } from '../../src/ports/search-index.port.js';
import { FilterSchema, type Filter } from '../../src/rag/filter.schema.js';
import { matchesFilter } from '../../src/rag/filter.js';

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
