/**
 * Contract suite for SearchIndex adapters: `describeSearchIndexContract(name, factory)`.
 * The factory returns a fresh, initialised index (and may reopen the same storage when
 * `reopen` is true, for adapters with `capabilities.persistent`).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { IndexChunk, SearchIndex } from '../../src/ports/search-index.port.js';
import type { Filter } from '../../src/ports/search-filter.js';
import { matchesFilter } from '../../src/ports/search-filter.js';

export interface SearchIndexFactory {
  /** A fresh index (empty storage) — or, with reopen, a new instance over the last storage. */
  create(options?: { reopen?: boolean }): Promise<SearchIndex>;
}

const DIM = 16;
const tenantId = 'tenant-a';
const collection = 'articles';

/** Deterministic pseudo-random unit vectors (mulberry32). */
export function randomVectors(count: number, dimension: number, seed = 7): Float32Array[] {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296 - 0.5;
  };
  return Array.from({ length: count }, () => {
    const vector = Float32Array.from({ length: dimension }, next);
    const norm = Math.hypot(...vector);
    return vector.map((value) => value / norm);
  });
}

const TEXTS = [
  'Wireless headphones with active noise cancelling and long battery life',
  'Stainless steel kitchen knife set with wooden block',
  'Running shoes for trail running, waterproof and light',
  'Noise cancelling earbuds for running and the gym',
  'Cast iron skillet for the kitchen, pre-seasoned',
  'Waterproof hiking boots with ankle support',
];

function chunks(vectors: Float32Array[]): IndexChunk[] {
  return TEXTS.map((text, i) => ({
    id: `doc-${i}#0`,
    documentId: `doc-${i}`,
    text,
    vector: vectors[i]!,
    metadata: {
      category: i % 3 === 0 ? 'audio' : i % 3 === 1 ? 'kitchen' : 'outdoor',
      price: 10 * (i + 1),
      tags: i % 2 === 0 ? ['sale', 'new'] : ['new'],
      inStock: i !== 4,
      ...(i === 5 ? { note: null } : { note: `n${i}` }),
    },
    sourceEventId: `evt-${i}`,
  }));
}

function exactDense(query: Float32Array, all: IndexChunk[], filter: Filter | undefined, limit: number): string[] {
  const dot = (a: Float32Array, b: Float32Array) => a.reduce((sum, value, i) => sum + value * b[i]!, 0);
  return all
    .filter((chunk) => !filter || matchesFilter(filter, chunk.metadata))
    .map((chunk) => ({ id: chunk.id, score: dot(query, chunk.vector as Float32Array) }))
    .sort((a, b) => b.score - a.score)
    .slice(0, limit)
    .map((hit) => hit.id);
}

export function describeSearchIndexContract(name: string, factory: SearchIndexFactory): void {
  describe(`SearchIndex contract: ${name}`, () => {
    let index: SearchIndex | undefined;
    const vectors = randomVectors(TEXTS.length, DIM);
    const all = chunks(vectors);
    const setup = async () => {
      index = await factory.create();
      await index.ensureCollection({ tenantId, collection, dimension: DIM, language: 'en' });
      await index.upsert({ tenantId, collection, chunks: all });
      return index;
    };
    afterEach(async () => {
      await index?.close();
      index = undefined;
    });

    it('finds the exact vector first in dense mode and returns the stored fields', async () => {
      const idx = await setup();
      const hits = await idx.search({ tenantId, collection, query: '', vector: vectors[2]!, mode: 'dense', limit: 3 });
      expect(hits[0]).toMatchObject({ chunkId: 'doc-2#0', documentId: 'doc-2', text: TEXTS[2], sourceEventId: 'evt-2' });
      expect(hits[0]!.metadata).toEqual(all[2]!.metadata);
      expect(hits[0]!.score).toBeCloseTo(1, 4);
      expect(hits.map((hit) => hit.chunkId)).toEqual(exactDense(vectors[2]!, all, undefined, 3));
    });

    it('ranks lexical matches with stemming and ignores stopwords', async () => {
      const idx = await setup();
      if (!idx.capabilities.lexical) return expect(idx.capabilities.lexical).toBe(false);
      const hits = await idx.search({ tenantId, collection, query: 'the cancelled noises', mode: 'lexical', limit: 10 });
      expect(hits.map((hit) => hit.documentId).sort()).toEqual(['doc-0', 'doc-3']);
      expect(await idx.search({ tenantId, collection, query: 'the of and', mode: 'lexical', limit: 10 })).toEqual([]);
    });

    it('fuses modes in hybrid and keeps the best lexical match on top', async () => {
      const idx = await setup();
      const hits = await idx.search({ tenantId, collection, query: 'kitchen skillet', vector: vectors[4]!, mode: 'hybrid', limit: 4 });
      expect(hits[0]!.documentId).toBe('doc-4');
      expect(hits.length).toBe(4);
      for (let i = 1; i < hits.length; i += 1) expect(hits[i - 1]!.score).toBeGreaterThanOrEqual(hits[i]!.score);
    });

    const filters: [string, Filter][] = [
      ['eq', { eq: { category: 'kitchen' } }],
      ['eq on an array', { eq: { tags: 'sale' } }],
      ['eq boolean', { eq: { inStock: false } }],
      ['in', { in: { category: ['audio', 'outdoor'] } }],
      ['range', { range: { price: { gte: 20, lt: 50 } } }],
      ['exists (null is absent)', { exists: 'note' }],
      ['and/or/not', { or: [{ and: [{ eq: { category: 'audio' } }, { range: { price: { gt: 10 } } }] }, { not: { exists: 'note' } }] }],
      ['no match', { eq: { category: 'garden' } }],
      ['in with 1,024 strings', { in: { category: [...Array.from({ length: 1023 }, (_, i) => `other-${i}`), 'kitchen'] } }],
      ['in with 1,024 numbers and booleans', { in: { price: [...Array.from({ length: 1021 }, (_, i) => 1000 + i), 20, 40.5, 60] } }],
      ['in over booleans and an array field', { or: [{ in: { inStock: [false] } }, { in: { tags: ['sale', 7, true] } }] }],
      // The member view: an owner condition ANDed above whatever the caller sends (or/not cannot widen it).
      ['scoped and/or/not', { and: [{ eq: { category: 'audio' } }, { or: [{ not: { eq: { category: 'audio' } } }, { exists: 'note' }] }] }],
    ];
    for (const [label, filter] of filters) {
      it(`filters (${label}) in dense mode exactly as the reference semantics`, async () => {
        const idx = await setup();
        const hits = await idx.search({ tenantId, collection, query: '', vector: vectors[0]!, mode: 'dense', filter, limit: 10 });
        expect(hits.map((hit) => hit.chunkId)).toEqual(exactDense(vectors[0]!, all, filter, 10));
      });
    }

    it('filters lexical results', async () => {
      const idx = await setup();
      if (!idx.capabilities.lexical) return;
      const hits = await idx.search({ tenantId, collection, query: 'running', mode: 'lexical', filter: { eq: { category: 'outdoor' } }, limit: 10 });
      expect(hits.map((hit) => hit.documentId)).toEqual(['doc-2']);
    });

    it('replaces chunks on upsert and deletes by document', async () => {
      const idx = await setup();
      const moved = { ...all[1]!, text: 'Cordless drill with two batteries', vector: vectors[5]!, sourceEventId: 'evt-9' };
      await idx.upsert({ tenantId, collection, chunks: [moved] });
      const dense = await idx.search({ tenantId, collection, query: '', vector: vectors[5]!, mode: 'dense', limit: 2 });
      expect(dense.map((hit) => hit.chunkId).sort()).toEqual(['doc-1#0', 'doc-5#0']);
      if (idx.capabilities.lexical) {
        expect(await idx.search({ tenantId, collection, query: 'knife', mode: 'lexical', limit: 5 })).toEqual([]);
        expect((await idx.search({ tenantId, collection, query: 'drill', mode: 'lexical', limit: 5 }))[0]!.sourceEventId).toBe('evt-9');
      }
      expect(await idx.deleteDocuments({ tenantId, collection, documentIds: ['doc-1', 'doc-2', 'missing'] })).toBe(2);
      const left = await idx.search({ tenantId, collection, query: '', vector: vectors[1]!, mode: 'dense', limit: 10 });
      expect(left.map((hit) => hit.documentId).sort()).toEqual(['doc-0', 'doc-3', 'doc-4', 'doc-5']);
      expect(await idx.stats({ tenantId, collection })).toMatchObject({ documents: 4, chunks: 4, dimension: DIM, lastSourceEventId: 'evt-9' });
    });

    it('keeps tenants and collections apart', async () => {
      const idx = await setup();
      await idx.ensureCollection({ tenantId: 'tenant-b', collection, dimension: DIM, language: 'en' });
      expect(await idx.search({ tenantId: 'tenant-b', collection, query: 'kitchen', vector: vectors[1]!, mode: 'hybrid', limit: 5 })).toEqual([]);
      expect(await idx.search({ tenantId, collection: 'other', query: 'kitchen', vector: vectors[1]!, mode: 'hybrid', limit: 5 })).toEqual([]);
      expect(await idx.listCollections({ tenantId })).toEqual([collection]);
      expect(await idx.stats({ tenantId, collection: 'other' })).toBeNull();
    });

    it('rejects another dimension for an existing collection and wrong-sized vectors', async () => {
      const idx = await setup();
      await expect(idx.ensureCollection({ tenantId, collection, dimension: DIM + 1, language: 'en' })).rejects.toMatchObject({ code: 'CONFLICT' });
      await expect(idx.upsert({ tenantId, collection, chunks: [{ ...all[0]!, vector: new Float32Array(3) }] })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
      await expect(idx.upsert({ tenantId, collection: 'never-ensured', chunks: all })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    });

    it('drops a collection and rebuilds one from a source', async () => {
      const idx = await setup();
      const spec = { tenantId, collection, dimension: DIM, language: 'en' as const };
      async function* source() {
        yield* all.slice(0, 2);
      }
      expect(await idx.rebuild({ spec, source })).toBe(2);
      expect((await idx.stats({ tenantId, collection }))?.chunks).toBe(2);
      await idx.dropCollection({ tenantId, collection });
      expect(await idx.stats({ tenantId, collection })).toBeNull();
      expect(await idx.listCollections({ tenantId })).toEqual([]);
    });

    it('survives close and reopen when persistent', async () => {
      const idx = await setup();
      if (!idx.capabilities.persistent) return expect(idx.capabilities.persistent).toBe(false);
      await idx.close();
      index = await factory.create({ reopen: true });
      const hits = await index.search({ tenantId, collection, query: 'kitchen', vector: vectors[4]!, mode: 'hybrid', limit: 2 });
      expect(hits[0]!.documentId).toBe('doc-4');
      expect((await index.stats({ tenantId, collection }))?.chunks).toBe(TEXTS.length);
    });
  });
}
