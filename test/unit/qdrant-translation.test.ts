/**
 * The Qdrant adapter's pure parts: filter translation and BM25 sparse vectors. The adapter itself
 * runs the SearchIndex contract suite where QDRANT_URL is set (test/contract/search-index.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { toQdrantFilter } from '../../src/adapters/search/qdrant/qdrant.filter.js';
import { documentVector, pointId, queryVector, termIndex } from '../../src/adapters/search/qdrant/qdrant.sparse.js';
import type { Filter } from '../../src/ports/search-filter.js';
import { viewFilter } from '../../src/rag/member-view.js';

describe('Qdrant filter translation', () => {
  it('translates leaves onto metadata.<field>', () => {
    expect(toQdrantFilter({ eq: { category: 'kitchen' } })).toEqual({ must: [{ key: 'metadata.category', match: { value: 'kitchen' } }] });
    expect(toQdrantFilter({ eq: { inStock: false } })).toEqual({ must: [{ key: 'metadata.inStock', match: { value: false } }] });
    expect(toQdrantFilter({ eq: { price: 9.5 } })).toEqual({ must: [{ key: 'metadata.price', range: { gte: 9.5, lte: 9.5 } }] });
    expect(toQdrantFilter({ eq: { note: null } })).toEqual({ must: [{ is_empty: { key: 'metadata.note' } }] });
    expect(toQdrantFilter({ in: { category: ['a', 'b'] } })).toEqual({ must: [{ key: 'metadata.category', match: { any: ['a', 'b'] } }] });
    expect(toQdrantFilter({ in: { n: ['a', 2, 2.5, true] } })).toEqual({
      should: [
        { key: 'metadata.n', match: { any: ['a'] } }, { key: 'metadata.n', match: { any: [2] } },
        { key: 'metadata.n', range: { gte: 2.5, lte: 2.5 } }, { key: 'metadata.n', match: { value: true } },
      ],
    });
    expect(toQdrantFilter({ range: { price: { gte: 20, lt: 50 } } })).toEqual({ must: [{ key: 'metadata.price', range: { gte: 20, lt: 50 } }] });
    expect(toQdrantFilter({ range: { at: { gte: '2025-01-01T00:00:00Z' } } })).toEqual({ must: [{ key: 'metadata.at', range: { gte: '2025-01-01T00:00:00Z' } }] });
    expect(toQdrantFilter({ exists: 'note' })).toEqual({ must_not: [{ is_empty: { key: 'metadata.note' } }] });
    expect(toQdrantFilter(undefined)).toBeUndefined();
  });

  it('nests and/or/not as filters', () => {
    expect(toQdrantFilter({ or: [{ and: [{ eq: { a: 'x' } }, { range: { p: { gt: 1 } } }] }, { not: { exists: 'n' } }] })).toEqual({
      should: [
        { must: [{ key: 'metadata.a', match: { value: 'x' } }, { key: 'metadata.p', range: { gt: 1 } }] },
        { must_not: [{ must_not: [{ is_empty: { key: 'metadata.n' } }] }] },
      ],
    });
  });

  it('keeps an in-list of 1,024 values one condition (no per-value clause)', () => {
    const values = Array.from({ length: 1024 }, (_, i) => `v${i}`);
    const translated = toQdrantFilter({ in: { category: values } });
    expect(translated).toEqual({ must: [{ key: 'metadata.category', match: { any: values } }] });
  });

  it('translates the member view as a must above the caller\'s filter, which cannot widen it', () => {
    const escape: Filter = { or: [{ eq: { userId: 'alice' } }, { not: { eq: { userId: 'bob' } } }] };
    const scoped = viewFilter({ kind: 'owned', userId: 'bob' }, escape)!;
    expect(toQdrantFilter(scoped)).toEqual({
      must: [
        { key: 'metadata.userId', match: { value: 'bob' } },
        { should: [{ key: 'metadata.userId', match: { value: 'alice' } }, { must_not: [{ key: 'metadata.userId', match: { value: 'bob' } }] }] },
      ],
    });
    expect(viewFilter({ kind: 'owned', userId: 'bob' }, undefined)).toEqual({ eq: { userId: 'bob' } });
    expect(viewFilter({ kind: 'all' }, escape)).toBe(escape);
    expect(viewFilter({ kind: 'none' }, escape)).toBeNull();
  });

  it('rejects string ranges that are not dates', () => {
    expect(() => toQdrantFilter({ range: { name: { gte: 'apple' } } })).toThrow(/ISO 8601/);
  });
});

describe('BM25 sparse vectors', () => {
  it('weights stemmed, stop-filtered terms with saturated frequencies, sorted by index', () => {
    const vector = documentVector('Running shoes for trail running, running on the trail', 'en');
    expect(vector.indices).toHaveLength(3); // run, shoe, trail
    expect(vector.indices).toEqual([...vector.indices].sort((a, b) => a - b));
    const weight = (term: string) => vector.values[vector.indices.indexOf(termIndex(`w:${term}`))]!;
    expect(weight('run')).toBeGreaterThan(weight('trail')); // three occurrences beat two
    expect(weight('trail')).toBeGreaterThan(weight('shoe'));
    expect(weight('run')).toBeLessThan(3 * weight('shoe')); // but saturate
  });

  it('gives each query term the value 1 and drops stopword-only queries', () => {
    const query = queryVector('cancelled noises', 'en');
    expect(query.values).toEqual([1, 1]);
    expect(queryVector('the of and', 'en').indices).toEqual([]);
  });

  it('derives stable UUID point ids from chunk ids', () => {
    expect(pointId('doc-1#0')).toBe(pointId('doc-1#0'));
    expect(pointId('doc-1#0')).not.toBe(pointId('doc-1#1'));
    expect(pointId('doc-1#0')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
