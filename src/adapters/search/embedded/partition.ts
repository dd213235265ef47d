/**
 * One embedded partition: the SQLite store (rows, vectors, FTS5) plus a usearch HNSW index
 * over the same labels. The HNSW file is a cache: it is saved with the store's generation and
 * rebuilt from the stored vectors when missing, unreadable or stale.
 */
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Index, MetricKind, ScalarKind } from 'usearch';
import { AppError } from '../../../platform/errors.js';
import type { IndexChunk } from '../../../ports/search-index.port.js';
import type { Filter } from '../../../ports/search-filter.js';
import type { AnalyzerOptions } from '../../../text/analyzer.js';
import { compileFilter, compileSearchFilter, type SqlFilter } from './filter.sql.js';
import { buildMatch, FrequencyCache } from './lexical-query.js';
import { PartitionStore, type StoredSpec } from './partition.store.js';

export interface HnswOptions {
  connectivity: number;
  expansionAdd: number;
  expansionSearch: number;
  quantization: 'f32' | 'f16';
  /** Candidates fetched per wanted hit when a filter applies, before escalating. */
  oversample: number;
  /** Escalate ANN up to this many candidates; beyond, scan the filtered rows exactly. */
  maxAnnCandidates: number;
  /** A filter passed by fewer than this share of the ANN candidates is selective: exact scan. */
  exactBelowFraction: number;
}

export interface PartitionOptions {
  hnsw: HnswOptions;
  analyzer: AnalyzerOptions;
  /** FTS5 bm25 weight of the n-gram column relative to the word column. */
  gramWeight: number;
}

export interface Scored {
  label: number;
  score: number;
}

const DB_FILE = 'index.db';
const HNSW_FILE = 'vectors.usearch';
const HNSW_META = 'vectors.json';

export class Partition {
  readonly store: PartitionStore;
  readonly spec: StoredSpec;
  private hnsw: Index;
  private savedGeneration = -1;
  private readonly frequencies: FrequencyCache;

  private constructor(readonly dir: string, store: PartitionStore, spec: StoredSpec, private readonly options: PartitionOptions) {
    this.store = store;
    this.spec = spec;
    this.frequencies = new FrequencyCache(store);
    this.hnsw = this.newIndex();
  }

  /** Opens an existing partition directory (null when it holds no store), creating it with `spec` if given. */
  static open(dir: string, options: PartitionOptions, create?: StoredSpec): Partition | null {
    if (!create && !existsSync(join(dir, DB_FILE))) return null;
    const store = new PartitionStore(join(dir, DB_FILE));
    let spec = store.spec();
    if (!spec && create) {
      store.setMeta('dimension', create.dimension);
      store.setMeta('language', create.language);
      spec = create;
    }
    if (!spec) {
      store.close();
      return null;
    }
    const partition = new Partition(dir, store, spec, options);
    partition.loadHnsw();
    return partition;
  }

  private newIndex(): Index {
    const { connectivity, expansionAdd, expansionSearch, quantization } = this.options.hnsw;
    return new Index({
      dimensions: this.spec.dimension,
      metric: MetricKind.Cos,
      quantization: quantization === 'f16' ? ScalarKind.F16 : ScalarKind.F32,
      connectivity,
      expansion_add: expansionAdd,
      expansion_search: expansionSearch,
      multi: false,
    });
  }

  /** Loads the saved HNSW if it matches the store; otherwise rebuilds it from stored vectors. */
  private loadHnsw(): void {
    const generation = this.store.generation();
    const file = join(this.dir, HNSW_FILE);
    try {
      const saved = JSON.parse(readFileSync(join(this.dir, HNSW_META), 'utf8')) as { generation: number };
      if (saved.generation === generation && existsSync(file)) {
        this.hnsw.load(file);
        if (this.hnsw.size() === this.store.counts().chunks) {
          this.savedGeneration = generation;
          return;
        }
      }
    } catch {
      // missing or unreadable cache: rebuilt below
    }
    this.hnsw = this.newIndex();
    const batch: { label: number; vector: Float32Array }[] = [];
    for (const item of this.store.vectors(compileFilter(undefined))) {
      batch.push(item);
      if (batch.length === 4096) this.addVectors(batch.splice(0));
    }
    this.addVectors(batch);
  }

  private addVectors(items: { label: number; vector: Float32Array }[]): void {
    if (items.length === 0) return;
    const dimension = this.spec.dimension;
    const matrix = new Float32Array(items.length * dimension);
    items.forEach((item, i) => matrix.set(item.vector, i * dimension));
    this.hnsw.add(BigUint64Array.from(items, (item) => BigInt(item.label)), matrix);
  }

  upsert(chunks: IndexChunk[]): void {
    for (const chunk of chunks) {
      if (chunk.vector.length !== this.spec.dimension) {
        throw new AppError('VALIDATION_FAILED', { detail: `chunk ${chunk.id}: vector has ${chunk.vector.length} dimensions, the collection ${this.spec.dimension}` });
      }
    }
    const labels = this.store.upsert(chunks, this.spec.language, this.options.analyzer);
    const keys = labels.map((label) => BigInt(label));
    const present = keys.filter((key) => this.hnsw.contains(key));
    if (present.length > 0) this.hnsw.remove(present);
    this.addVectors(labels.map((label, i) => ({ label, vector: toFloat32(chunks[i]!.vector) })));
  }

  deleteDocuments(documentIds: string[]): number {
    const labels = this.store.deleteDocuments(documentIds);
    if (labels.length > 0) this.hnsw.remove(labels.map((label) => BigInt(label)));
    return labels.length;
  }

  /** Nearest chunks by cosine similarity; with a filter, exact among the filtered rows (see ARCHITECTURE). */
  dense(vector: Float32Array, limit: number, filter: Filter | undefined, owner?: string): Scored[] {
    const total = this.hnsw.size();
    if (total === 0) return [];
    const filtered = filter !== undefined || owner !== undefined;
    const sqlFilter = compileSearchFilter(filter, owner);
    const { oversample, maxAnnCandidates, exactBelowFraction } = this.options.hnsw;
    let k = Math.min(total, filtered ? Math.max(limit * oversample, 64) : limit);
    for (;;) {
      const matches = this.hnsw.search(vector, k, 1);
      const scored = Array.from(matches.keys, (key, i) => ({ label: Number(key), score: 1 - matches.distances[i]! }));
      if (!filtered) return scored;
      const passing = this.store.filterLabels(scored.map((item) => item.label), sqlFilter);
      const kept = scored.filter((item) => passing.has(item.label));
      if (k >= total) return kept.slice(0, limit);
      if (kept.length < exactBelowFraction * k) return this.exactScan(vector, limit, sqlFilter);
      if (kept.length >= limit) return kept.slice(0, limit);
      if (k * 4 > maxAnnCandidates) return this.exactScan(vector, limit, sqlFilter);
      k = Math.min(total, k * 4);
    }
  }

  private exactScan(query: Float32Array, limit: number, filter: SqlFilter): Scored[] {
    const queryNorm = Math.sqrt(dot(query, query)) || 1;
    const scored: Scored[] = [];
    for (const { label, vector } of this.store.vectors(filter)) {
      const norm = Math.sqrt(dot(vector, vector)) || 1;
      scored.push({ label, score: dot(query, vector) / (queryNorm * norm) });
    }
    return scored.sort((a, b) => b.score - a.score || a.label - b.label).slice(0, limit);
  }

  /** BM25 over the analysed text. */
  lexical(query: string, limit: number, filter: Filter | undefined, owner?: string): Scored[] {
    const match = buildMatch(query, this.spec.language, this.options.analyzer, this.frequencies, this.hnsw.size());
    if (!match) return [];
    return this.store.lexical(match, this.options.gramWeight, limit, compileSearchFilter(filter, owner));
  }

  get size(): number {
    return this.hnsw.size();
  }

  /** Saves the HNSW cache (tmp file + rename) when the store changed since the last save. */
  save(): void {
    const generation = this.store.generation();
    if (generation === this.savedGeneration) return;
    const file = join(this.dir, HNSW_FILE);
    rmSync(join(this.dir, HNSW_META), { force: true });
    if (this.hnsw.size() > 0) {
      this.hnsw.save(`${file}.tmp`);
      renameSync(`${file}.tmp`, file);
    } else rmSync(file, { force: true });
    writeFileSync(join(this.dir, HNSW_META), JSON.stringify({ generation, dimension: this.spec.dimension, size: this.hnsw.size() }));
    this.savedGeneration = generation;
  }

  close(): void {
    this.save();
    this.store.close();
  }
}

export function toFloat32(vector: Float32Array | number[]): Float32Array {
  return vector instanceof Float32Array ? vector : Float32Array.from(vector);
}

function dot(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i += 1) sum += a[i]! * b[i]!;
  return sum;
}
