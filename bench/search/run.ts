/**
 * Search benchmark (in-process):
 * 1. 100k chunks of 384-dim clustered random unit vectors: raw usearch vs the embedded index,
 *    same HNSW settings (M, ef_add, ef_search, f32, cos), one query at a time, recall@10 vs
 *    exact (usearch exactSearch); ef_search doubles until raw recall@10 ≥ 0.97.
 * 2. Build rate and RSS of the embedded index (SQLite rows + FTS5 + HNSW).
 * 3. Lexical SciFact: 300 test queries, top 100, one at a time.
 *
 *   node --import tsx bench/search/run.ts [--count 100000] [--scifact ../shared/datasets/scifact]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { BatchMatches, Index, MetricKind, ScalarKind, exactSearch } from 'usearch';
import { createHashEmbedder } from '../../src/adapters/embedder/hash/hash.embedder.js';
import { DEFAULT_HNSW_OPTIONS, createEmbeddedSearchIndex } from '../../src/adapters/search/embedded/embedded.search-index.js';
import type { IndexChunk } from '../../src/ports/search-index.port.js';
import { readCorpus, readQrels, readQueries } from '../../src/rag/eval/beir.reader.js';
import { seededRandom as rng } from '../../src/platform/random.js';

const { values } = parseArgs({ options: { count: { type: 'string', default: '100000' }, scifact: { type: 'string', default: '../shared/datasets/scifact' } } });
const COUNT = Number(values.count);
const DIM = 384;
const QUERIES = 500;
const mb = (bytes: number) => Math.round(bytes / 1048576);

/** Unit vectors around 2,000 random centroids (noise σ 0.35 per unit of centroid spread). */
function clustered(count: number, seed: number, centroids: Float32Array): Float32Array {
  const random = rng(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(random() + 1e-12)) * Math.cos(2 * Math.PI * random());
  const out = new Float32Array(count * DIM);
  const clusters = centroids.length / DIM;
  for (let i = 0; i < count; i += 1) {
    const c = Math.floor(random() * clusters);
    let norm = 0;
    for (let d = 0; d < DIM; d += 1) {
      const value = centroids[c * DIM + d]! + 0.35 * gauss();
      out[i * DIM + d] = value;
      norm += value * value;
    }
    const scale = 1 / Math.sqrt(norm);
    for (let d = 0; d < DIM; d += 1) out[i * DIM + d]! *= scale;
  }
  return out;
}

const centroidRandom = rng(1);
const centroids = Float32Array.from({ length: 2000 * DIM }, () => centroidRandom() * 2 - 1);
const data = clustered(COUNT, 2, centroids);
const queries = clustered(QUERIES, 3, centroids);
const row = (matrix: Float32Array, i: number) => matrix.subarray(i * DIM, (i + 1) * DIM);

const truthMatches = exactSearch(data, queries, DIM, 10, MetricKind.Cos, 0) as BatchMatches;
const truth = Array.from({ length: QUERIES }, (_, q) => new Set(Array.from(truthMatches.get(q).keys, Number)));
const recall = (found: number[][]) => found.reduce((sum, keys, q) => sum + keys.filter((key) => truth[q]!.has(key)).length, 0) / (QUERIES * 10);

function timeQueries(search: (q: number) => number[]): { qps: number; recall: number } {
  for (let q = 0; q < 50; q += 1) search(q);
  const found: number[][] = [];
  const started = performance.now();
  for (let q = 0; q < QUERIES; q += 1) found.push(search(q));
  return { qps: Math.round(QUERIES / ((performance.now() - started) / 1000)), recall: Number(recall(found).toFixed(4)) };
}

function rawIndex(expansionSearch: number) {
  const index = new Index({ dimensions: DIM, metric: MetricKind.Cos, quantization: ScalarKind.F32, connectivity: DEFAULT_HNSW_OPTIONS.connectivity, expansion_add: DEFAULT_HNSW_OPTIONS.expansionAdd, expansion_search: expansionSearch, multi: false });
  const started = performance.now();
  for (let i = 0; i < COUNT; i += 1000) index.add(BigUint64Array.from({ length: Math.min(1000, COUNT - i) }, (_, j) => BigInt(i + j + 1)), data.subarray(i * DIM, Math.min(COUNT, i + 1000) * DIM));
  const buildRate = Math.round(COUNT / ((performance.now() - started) / 1000));
  return { index, buildRate };
}

console.log(`machine: ${cpus().length} × ${cpus()[0]?.model}, node ${process.version}; ${COUNT} vectors × ${DIM}`);
let expansionSearch = DEFAULT_HNSW_OPTIONS.expansionSearch;
let raw = rawIndex(expansionSearch);
let rawResult = timeQueries((q) => Array.from(raw.index.search(row(queries, q), 10, 1).keys, (key) => Number(key) - 1));
while (rawResult.recall < 0.97 && expansionSearch < 1024) {
  console.log(`raw usearch ef_search=${expansionSearch}: recall@10 ${rawResult.recall} < 0.97, doubling`);
  expansionSearch *= 2;
  raw = rawIndex(expansionSearch);
  rawResult = timeQueries((q) => Array.from(raw.index.search(row(queries, q), 10, 1).keys, (key) => Number(key) - 1));
}
console.log(`raw usearch (alone): M=${DEFAULT_HNSW_OPTIONS.connectivity} ef_add=${DEFAULT_HNSW_OPTIONS.expansionAdd} ef_search=${expansionSearch}: build ${raw.buildRate}/s, ${rawResult.qps} qps, recall@10 ${rawResult.recall}`);
const rawSearch = (q: number) => Array.from(raw.index.search(row(queries, q), 10, 1).keys, (key) => Number(key) - 1);

const dir = mkdtempSync(join(tmpdir(), 'eventrag-bench-search-'));
const rssBefore = process.memoryUsage().rss;
const index = createEmbeddedSearchIndex({ dir, persistIntervalMs: 0, hnsw: { expansionSearch } });
await index.init();
const ref = { tenantId: 'bench', collection: 'vectors' };
await index.ensureCollection({ ...ref, dimension: DIM, language: 'en' });
let started = performance.now();
for (let i = 0; i < COUNT; i += 1000) {
  const chunks: IndexChunk[] = [];
  for (let j = i; j < Math.min(COUNT, i + 1000); j += 1) {
    chunks.push({ id: `c${j}`, documentId: `d${j}`, text: `chunk ${j} of cluster document ${j % 997}`, vector: row(data, j).slice(), metadata: { bucket: j % 100 }, sourceEventId: `e${j}` });
  }
  await index.upsert({ ...ref, chunks });
}
const buildSeconds = (performance.now() - started) / 1000;
const rss = process.memoryUsage().rss;
const embeddedSearch = async (q: number) => (await index.search({ ...ref, query: '', vector: row(queries, q), mode: 'dense', limit: 10 })).map((hit) => Number(hit.chunkId.slice(1)));
for (let q = 0; q < 50; q += 1) await embeddedSearch(q);
// Interleaved rounds (raw, embedded, raw, …) so machine load hits both alike.
const found: number[][] = [];
let rawMs = 0;
let embeddedMs = 0;
for (let round = 0; round < 10; round += 1) {
  const from = (round * QUERIES) / 10;
  let t = performance.now();
  for (let q = from; q < from + QUERIES / 10; q += 1) rawSearch(q);
  rawMs += performance.now() - t;
  t = performance.now();
  for (let q = from; q < from + QUERIES / 10; q += 1) found.push(await embeddedSearch(q));
  embeddedMs += performance.now() - t;
}
const rawQps = Math.round(QUERIES / (rawMs / 1000));
const embeddedQps = Math.round(QUERIES / (embeddedMs / 1000));
const stats = await index.stats(ref);
await index.close();
console.log(`embedded dense: build ${Math.round(COUNT / buildSeconds)} chunks/s (${buildSeconds.toFixed(1)} s), RSS ${mb(rss)} MB (+${mb(rss - rssBefore)} MB), on disk ${mb(stats?.sizeBytes ?? 0)} MB`);
console.log(`interleaved: raw usearch ${rawQps} qps, embedded dense ${embeddedQps} qps (recall@10 ${recall(found).toFixed(4)}), ratio ${(embeddedQps / rawQps).toFixed(2)}`);
rmSync(dir, { recursive: true, force: true });

// Lexical SciFact: whole documents (title + text), 300 test queries, top 100, one at a time.
const lexDir = mkdtempSync(join(tmpdir(), 'eventrag-bench-lexical-'));
const lexical = createEmbeddedSearchIndex({ dir: lexDir, persistIntervalMs: 0 });
await lexical.init();
const embedder = createHashEmbedder();
await lexical.ensureCollection({ ...ref, dimension: embedder.dimension, language: 'en' });
const documents: IndexChunk[] = [];
for await (const document of readCorpus(values.scifact)) {
  const text = `${document.title}\n${document.text}`;
  documents.push({ id: document.id, documentId: document.id, text, vector: (await embedder.embed({ texts: [text], purpose: 'document' }))[0]!, metadata: {}, sourceEventId: 'e' });
}
await lexical.upsert({ ...ref, chunks: documents });
const [allQueries, qrels] = await Promise.all([readQueries(values.scifact), readQrels(values.scifact, 'test')]);
const testQueries = [...qrels.keys()].map((id) => allQueries.get(id)!.text);
for (const query of testQueries.slice(0, 30)) await lexical.search({ ...ref, query, mode: 'lexical', limit: 100 });
started = performance.now();
for (const query of testQueries) await lexical.search({ ...ref, query, mode: 'lexical', limit: 100 });
const lexicalQps = Math.round(testQueries.length / ((performance.now() - started) / 1000));
const hybridStarted = performance.now();
for (const query of testQueries) {
  const [vector] = await embedder.embed({ texts: [query], purpose: 'query' });
  await lexical.search({ ...ref, query, vector, mode: 'hybrid', limit: 100 });
}
const hybridQps = Math.round(testQueries.length / ((performance.now() - hybridStarted) / 1000));
await lexical.close();
rmSync(lexDir, { recursive: true, force: true });
console.log(`lexical SciFact: ${testQueries.length} queries, top 100, one at a time: ${lexicalQps} qps (hybrid incl. query embedding: ${hybridQps} qps)`);
console.log(JSON.stringify({ count: COUNT, dimension: DIM, expansionSearch, rawQps, embeddedQps, ratio: Number((embeddedQps / rawQps).toFixed(2)), recall: Number(recall(found).toFixed(4)), buildPerSecond: Math.round(COUNT / buildSeconds), rssMb: mb(rss), lexicalQps, hybridQps }));
