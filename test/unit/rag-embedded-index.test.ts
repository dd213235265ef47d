import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createHashEmbedder } from '../../src/adapters/embedder/hash/hash.embedder.js';
import { createEmbeddedSearchIndex, decodeName, encodeName } from '../../src/adapters/search/embedded/embedded.search-index.js';
import type { IndexChunk } from '../../src/ports/search-index.port.js';
import type { Filter } from '../../src/ports/search-filter.js';
import { matchesFilter } from '../../src/ports/search-filter.js';
import { randomVectors } from '../contract/search-index.contract.js';

const root = mkdtempSync(join(tmpdir(), 'eventrag-embedded-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = () => join(root, String((n += 1)));
const ref = { tenantId: 't1', collection: 'c1' };

describe('embedded index: filtered ANN equals exact search', () => {
  const count = 3000;
  const dimension = 32;
  const vectors = randomVectors(count, dimension, 11);
  const chunks: IndexChunk[] = vectors.map((vector, i) => ({
    id: `c${i}`,
    documentId: `d${i}`,
    text: `chunk ${i}`,
    vector,
    metadata: { bucket: i % 100, half: i % 2 === 0 ? 'even' : 'odd', tags: i % 7 === 0 ? ['seven'] : [] },
    sourceEventId: 'e',
  }));
  const exact = (query: Float32Array, filter: Filter, limit: number) =>
    chunks
      .filter((chunk) => matchesFilter(filter, chunk.metadata))
      .map((chunk) => ({ id: chunk.id, score: (chunk.vector as Float32Array).reduce((sum, v, i) => sum + v * query[i]!, 0) }))
      .sort((a, b) => b.score - a.score)
      .slice(0, limit)
      .map((hit) => hit.id);

  // Selective filters go to the exact scan and must equal exact search; broad ones are served by
  // oversampled ANN: every hit passes, the limit is filled, and recall stays at ANN level.
  const filters: [string, Filter, 'exact' | 'ann'][] = [
    ['1%', { eq: { bucket: 42 } }, 'exact'],
    ['0.1% via and', { and: [{ eq: { bucket: 7 } }, { eq: { tags: 'seven' } }] }, 'exact'],
    ['1% via in', { in: { bucket: [3] } }, 'exact'],
    ['10%', { in: { bucket: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] } }, 'ann'],
    ['14% array', { eq: { tags: 'seven' } }, 'ann'],
    ['50%', { eq: { half: 'odd' } }, 'ann'],
  ];

  it.each(filters)('filter %s', async (_label, filter, expectation) => {
    const index = createEmbeddedSearchIndex({ dir: freshDir(), persistIntervalMs: 0 });
    await index.init();
    await index.ensureCollection({ ...ref, dimension, language: 'en' });
    await index.upsert({ ...ref, chunks });
    let found = 0;
    let wanted = 0;
    for (const query of randomVectors(15, dimension, 99)) {
      const hits = await index.search({ ...ref, query: '', vector: query, mode: 'dense', filter, limit: 10 });
      const expected = exact(query, filter, 10);
      expect(hits.every((hit) => matchesFilter(filter, hit.metadata))).toBe(true);
      expect(hits).toHaveLength(expected.length);
      if (expectation === 'exact') expect(hits.map((hit) => hit.chunkId)).toEqual(expected);
      found += hits.filter((hit) => expected.includes(hit.chunkId)).length;
      wanted += expected.length;
    }
    expect(found / wanted).toBeGreaterThanOrEqual(expectation === 'exact' ? 1 : 0.9);
    await index.close();
  });
});

describe('embedded index: the owner pre-selection (member view)', () => {
  const dimension = 16;
  const vectors = randomVectors(400, dimension, 21);
  const chunks: IndexChunk[] = vectors.map((vector, i) => ({
    id: `c${i}`, documentId: `d${i}`, text: `note ${i} vacation${i % 3 === 0 ? ' lisbon' : ''}`, vector,
    metadata: { userId: `u${i % 40}`, kind: i % 2 === 0 ? 'a' : 'b' }, sourceEventId: 'e',
  }));

  it('returns exactly the owner\'s hits that pass the filter, in every mode, through an index', async () => {
    const index = createEmbeddedSearchIndex({ dir: freshDir(), persistIntervalMs: 0 });
    await index.init();
    await index.ensureCollection({ ...ref, dimension, language: 'en' });
    await index.upsert({ ...ref, chunks });
    const filter: Filter = { and: [{ eq: { userId: 'u7' } }, { or: [{ eq: { kind: 'b' } }, { not: { eq: { userId: 'u7' } } }] }] };
    for (const mode of ['dense', 'lexical', 'hybrid'] as const) {
      const params = { ...ref, query: 'vacation lisbon', vector: vectors[3]!, mode, filter, limit: 50 };
      const scoped = await index.search({ ...params, owner: 'u7' });
      expect(scoped.length, mode).toBeGreaterThan(0);
      expect(scoped.every((hit) => hit.metadata.userId === 'u7' && hit.metadata.kind === 'b'), mode).toBe(true);
      expect(scoped.map((hit) => hit.chunkId).sort(), mode).toEqual((await index.search(params)).map((hit) => hit.chunkId).sort());
      // The owner is ANDed: with another owner, the same filter finds nothing.
      expect(await index.search({ ...params, owner: 'u8' }), mode).toEqual([]);
    }
    await index.close();
  });

  it('plans the owner\'s rows through the chunks_owner index', async () => {
    const { default: Database } = await import('better-sqlite3');
    const { compileSearchFilter } = await import('../../src/adapters/search/embedded/filter.sql.js');
    const db = new Database(':memory:');
    db.exec("CREATE TABLE chunks (label INTEGER PRIMARY KEY, metadata TEXT NOT NULL); CREATE INDEX chunks_owner ON chunks(json_extract(metadata, '$.userId'));");
    const { sql, params } = compileSearchFilter({ eq: { kind: 'a' } }, 'u1');
    const plan = db.prepare(`EXPLAIN QUERY PLAN SELECT c.label FROM chunks c WHERE ${sql}`).all(...params) as Array<{ detail: string }>;
    expect(plan.map((row) => row.detail).join('\n')).toContain('chunks_owner');
    db.close();
  });
});

describe('embedded index: persistence', () => {
  const vectors = randomVectors(4, 8, 5);
  const chunk = (i: number): IndexChunk => ({ id: `c${i}`, documentId: `d${i}`, text: `text ${i}`, vector: vectors[i]!, metadata: {}, sourceEventId: `e${i}` });
  const spec = { ...ref, dimension: 8, language: 'en' as const };

  it('rebuilds a stale or broken HNSW cache from the stored vectors', async () => {
    const dir = freshDir();
    const first = createEmbeddedSearchIndex({ dir, persistIntervalMs: 0 });
    await first.init();
    await first.ensureCollection(spec);
    await first.upsert({ ...ref, chunks: [chunk(0), chunk(1)] });
    await first.close();
    const crashed = createEmbeddedSearchIndex({ dir, persistIntervalMs: 0 });
    await crashed.upsert({ ...ref, chunks: [chunk(2)] }); // never closed: the saved HNSW is now stale
    const reopened = createEmbeddedSearchIndex({ dir, persistIntervalMs: 0 });
    const hits = await reopened.search({ ...ref, query: '', vector: vectors[2]!, mode: 'dense', limit: 1 });
    expect(hits[0]!.chunkId).toBe('c2');
    await reopened.close();
    writeFileSync(join(dir, encodeName('t1'), encodeName('c1'), 'vectors.usearch'), 'garbage');
    const repaired = createEmbeddedSearchIndex({ dir, persistIntervalMs: 0 });
    expect((await repaired.search({ ...ref, query: '', vector: vectors[1]!, mode: 'dense', limit: 1 }))[0]!.chunkId).toBe('c1');
    await repaired.close();
  });

  it('refills a missing partition from the rebuild source', async () => {
    const calls: string[] = [];
    const index = createEmbeddedSearchIndex({
      dir: freshDir(),
      persistIntervalMs: 0,
      async *rebuild(source) {
        calls.push(`${source.tenantId}/${source.collection}`);
        yield chunk(0);
        yield chunk(3);
      },
    });
    await index.init();
    await index.ensureCollection(spec);
    await index.ensureCollection(spec);
    expect(calls).toEqual(['t1/c1']);
    expect(await index.stats(ref)).toMatchObject({ chunks: 2, documents: 2, lastSourceEventId: 'e3' });
    expect(await index.rebuild({ spec })).toBe(2);
    await index.close();
  });

  it('encodes tenant and collection names injectively for directories', () => {
    for (const name of ['plain-name', 'with_underscore', 'ümlaut/../x', '_0041']) {
      expect(encodeName(name)).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(decodeName(encodeName(name))).toBe(name);
    }
    expect(encodeName('_0041')).not.toBe(encodeName('A'));
  });
});

describe('embedded index: German retrieves as well as English', () => {
  const corpora = {
    en: [
      'The hospital treats patients with heart diseases.',
      'Train tickets are cheaper when you book them early.',
      'The city library lends books and films.',
      'Solar panels on the roof produce electricity.',
      'Children play football in the park on Sundays.',
      'The bakery sells fresh bread every morning.',
    ],
    de: [
      'Das Krankenhaus behandelt Patienten mit Herzkrankheiten.',
      'Bahnfahrkarten sind günstiger, wenn man sie früh bucht.',
      'Die Stadtbibliothek verleiht Bücher und Filme.',
      'Solarzellen auf dem Dach erzeugen Strom.',
      'Kinder spielen sonntags Fußball im Park.',
      'Die Bäckerei verkauft jeden Morgen frisches Brot.',
    ],
  };
  const queries = {
    en: ['disease of the heart', 'cheap tickets for the train', 'books from the library', 'electricity from the roof', 'football in the park', 'fresh bread'],
    de: ['Krankheit des Herzens', 'günstige Fahrkarten für die Bahn', 'Bücher aus der Bibliothek', 'Strom vom Dach', 'Fußball im Park', 'frisches Brot'],
  };

  async function reciprocalRank(language: 'en' | 'de', setting: 'en' | 'de' | 'auto', mode: 'lexical' | 'hybrid'): Promise<number> {
    const embedder = createHashEmbedder();
    const index = createEmbeddedSearchIndex({ dir: freshDir(), persistIntervalMs: 0 });
    await index.init();
    await index.ensureCollection({ ...ref, dimension: embedder.dimension, language: setting });
    const texts = corpora[language];
    const vectors = await embedder.embed({ texts, purpose: 'document' });
    await index.upsert({ ...ref, chunks: texts.map((text, i) => ({ id: `c${i}`, documentId: `d${i}`, text, vector: vectors[i]!, metadata: {}, sourceEventId: 'e' })) });
    let sum = 0;
    for (const [i, query] of queries[language].entries()) {
      const [vector] = await embedder.embed({ texts: [query], purpose: 'query' });
      const hits = await index.search({ ...ref, query, vector, mode, limit: 6 });
      const rank = hits.findIndex((hit) => hit.documentId === `d${i}`);
      sum += rank === -1 ? 0 : 1 / (rank + 1);
    }
    await index.close();
    return sum / queries[language].length;
  }

  it.each(['lexical', 'hybrid'] as const)('%s: MRR in German ≥ English, with de and auto', async (mode) => {
    const english = await reciprocalRank('en', 'en', mode);
    expect(english).toBe(1);
    expect(await reciprocalRank('de', 'de', mode)).toBeGreaterThanOrEqual(english);
    expect(await reciprocalRank('de', 'auto', mode)).toBeGreaterThanOrEqual(english);
  });
});
