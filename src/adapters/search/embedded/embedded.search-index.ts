/**
 * The embedded SearchIndex: per (tenant, collection) a directory under `dir` holding a SQLite
 * file (chunks, vectors, FTS5 BM25 over analysed text) and a usearch HNSW cache of the vectors.
 * Partitions open lazily; HNSW files are saved periodically and on close, and rebuilt from the
 * stored vectors when stale. A partition whose files are missing is refilled from `rebuild`.
 */
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { AppError } from '../../../platform/errors.js';
import type {
  CollectionRef,
  CollectionSpec,
  RebuildSource,
  SearchHit,
  SearchIndex,
  SearchParams,
} from '../../../ports/search-index.port.js';
import { fuseWeighted } from './fusion.js';
import { DEFAULT_ANALYZER_OPTIONS, type AnalyzerOptions } from '../../../text/analyzer.js';
import { Partition, toFloat32, type HnswOptions, type PartitionOptions, type Scored } from './partition.js';
import { parseMetadata } from './partition.store.js';

export interface EmbeddedSearchIndexConfig {
  /** Directory for all partitions (e.g. `${DATA_DIR}/search`). */
  dir: string;
  /** Source of truth used to refill missing partitions and by rebuild() without a source. */
  rebuild?: RebuildSource;
  hnsw?: Partial<HnswOptions>;
  analyzer?: Partial<AnalyzerOptions>;
  /** bm25 weight of the n-gram column (words = 1). */
  gramWeight?: number;
  /** Hybrid default dense weight (measured on SciFact train, see BENCHMARKS.md). */
  denseWeight?: number;
  /** Candidates taken from each side before hybrid fusion (at least `limit`). */
  hybridCandidates?: number;
  /** How often changed HNSW caches are saved (ms); 0 = only on close. */
  persistIntervalMs?: number;
}

export const DEFAULT_HNSW_OPTIONS: Readonly<HnswOptions> = Object.freeze({
  connectivity: 16,
  expansionAdd: 128,
  expansionSearch: 96,
  quantization: 'f32',
  oversample: 8,
  maxAnnCandidates: 4096,
  exactBelowFraction: 0.05,
});
export const DEFAULT_GRAM_WEIGHT = 0.3;
export const DEFAULT_DENSE_WEIGHT = 0.05;
export const DEFAULT_HYBRID_CANDIDATES = 100;

/** Directory-safe, injective name: `[A-Za-z0-9-]` kept, everything else as `_` + hex code units. */
export function encodeName(name: string): string {
  return name.replace(/[^A-Za-z0-9-]/g, (char) => `_${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function decodeName(encoded: string): string {
  return encoded.replace(/_([0-9a-f]{4})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

export function createEmbeddedSearchIndex(config: EmbeddedSearchIndexConfig): SearchIndex {
  const options: PartitionOptions = {
    hnsw: { ...DEFAULT_HNSW_OPTIONS, ...config.hnsw },
    analyzer: { ...DEFAULT_ANALYZER_OPTIONS, ...config.analyzer },
    gramWeight: config.gramWeight ?? DEFAULT_GRAM_WEIGHT,
  };
  const partitions = new Map<string, Partition>();
  let timer: NodeJS.Timeout | undefined;
  let turn: Promise<unknown> = Promise.resolve();

  /**
   * Searches run one at a time, each in its own turn of the event loop: SQLite and HNSW work is
   * synchronous, so a request over 20 collections lets other requests in between collections.
   */
  function inTurn<T>(run: () => T): Promise<T> {
    const result = turn.then(() => new Promise<void>((resolve) => setImmediate(resolve))).then(run);
    turn = result.catch(() => undefined);
    return result;
  }

  const dirOf = (ref: CollectionRef) => join(config.dir, encodeName(ref.tenantId), encodeName(ref.collection));
  const keyOf = (ref: CollectionRef) => `${ref.tenantId}\u0000${ref.collection}`;

  function open(ref: CollectionRef): Partition | null {
    const key = keyOf(ref);
    const cached = partitions.get(key);
    if (cached) return cached;
    const partition = Partition.open(dirOf(ref), options);
    if (partition) partitions.set(key, partition);
    return partition;
  }

  function require(ref: CollectionRef): Partition {
    const partition = open(ref);
    if (!partition) throw new AppError('NOT_FOUND', { detail: `collection ${ref.collection} has no search index`, details: { collection: ref.collection } });
    return partition;
  }

  function drop(ref: CollectionRef): void {
    partitions.get(keyOf(ref))?.store.close();
    partitions.delete(keyOf(ref));
    rmSync(dirOf(ref), { recursive: true, force: true });
  }

  function create(spec: CollectionSpec): Partition {
    mkdirSync(dirOf(spec), { recursive: true });
    const partition = Partition.open(dirOf(spec), options, { dimension: spec.dimension, language: spec.language })!;
    partitions.set(keyOf(spec), partition);
    return partition;
  }

  async function fill(spec: CollectionSpec, source: RebuildSource, signal?: AbortSignal): Promise<number> {
    const partition = require(spec);
    let count = 0;
    let batch = [];
    for await (const chunk of source(spec)) {
      signal?.throwIfAborted();
      batch.push(chunk);
      if (batch.length === 256) {
        partition.upsert(batch.splice(0));
        count += 256;
      }
    }
    partition.upsert(batch);
    return count + batch.length;
  }

  function hydrate(partition: Partition, scored: Scored[]): SearchHit[] {
    const scores = new Map(scored.map((item) => [item.label, item.score]));
    return partition.store.rows(scored.map((item) => item.label)).map((row) => ({
      chunkId: row.id,
      documentId: row.document_id,
      score: scores.get(row.label)!,
      text: row.text,
      metadata: parseMetadata(row.metadata),
      sourceEventId: row.source_event_id,
    }));
  }

  function rank(partition: Partition, params: SearchParams): Scored[] {
    const limit = Math.max(1, Math.min(1000, Math.floor(params.limit)));
    if (params.mode === 'lexical') return partition.lexical(params.query, limit, params.filter, params.owner);
    if (!params.vector) throw new AppError('VALIDATION_FAILED', { detail: `mode ${params.mode} needs a query vector` });
    const vector = toFloat32(params.vector);
    if (vector.length !== partition.spec.dimension) {
      throw new AppError('VALIDATION_FAILED', { detail: `query vector has ${vector.length} dimensions, the collection ${partition.spec.dimension}` });
    }
    if (params.mode === 'dense') return partition.dense(vector, limit, params.filter, params.owner);
    const candidates = Math.max(limit, config.hybridCandidates ?? DEFAULT_HYBRID_CANDIDATES);
    const lexical = partition.lexical(params.query, candidates, params.filter, params.owner);
    const dense = partition.dense(vector, candidates, params.filter, params.owner);
    const weight = params.denseWeight ?? config.denseWeight ?? DEFAULT_DENSE_WEIGHT;
    const fused = fuseWeighted(
      lexical.map((item) => ({ key: item.label, score: item.score })),
      dense.map((item) => ({ key: item.label, score: item.score })),
      weight,
      limit,
    );
    return fused.map((item) => ({ label: item.key, score: item.score }));
  }

  return {
    kind: 'embedded',
    capabilities: { lexical: true, persistent: true, approximate: true },
    async init() {
      mkdirSync(config.dir, { recursive: true });
      const interval = config.persistIntervalMs ?? 30_000;
      if (interval > 0) {
        timer = setInterval(() => partitions.forEach((partition) => partition.save()), interval);
        timer.unref();
      }
    },
    async close() {
      if (timer) clearInterval(timer);
      for (const partition of partitions.values()) partition.close();
      partitions.clear();
    },
    async ensureCollection(spec) {
      const existing = open(spec);
      if (existing) {
        const { dimension, language } = existing.spec;
        if (dimension !== spec.dimension || language !== spec.language) {
          throw new AppError('CONFLICT', {
            detail: `collection ${spec.collection} is indexed with dimension ${dimension} and language ${language}; rebuild it to change them`,
            details: { dimension, language },
          });
        }
        return;
      }
      create(spec);
      if (config.rebuild) await fill(spec, config.rebuild);
    },
    async upsert({ chunks, ...ref }) {
      if (chunks.length > 0) require(ref).upsert(chunks);
    },
    async deleteDocuments({ documentIds, ...ref }) {
      return documentIds.length > 0 ? require(ref).deleteDocuments(documentIds) : 0;
    },
    search(params) {
      return inTurn(() => {
        params.signal?.throwIfAborted();
        const partition = open(params);
        return partition ? hydrate(partition, rank(partition, params)) : [];
      });
    },
    async stats(ref) {
      const partition = open(ref);
      if (!partition) return null;
      const dir = dirOf(ref);
      const sizeBytes = readdirSync(dir).reduce((sum, file) => sum + statSync(join(dir, file)).size, 0);
      return {
        ...partition.store.counts(),
        sizeBytes,
        dimension: partition.spec.dimension,
        lastSourceEventId: partition.store.getMeta('last_source_event_id') ?? null,
      };
    },
    async dropCollection(ref) {
      drop(ref);
    },
    async rebuild({ spec, source, signal }) {
      const from = source ?? config.rebuild;
      if (!from) throw new AppError('VALIDATION_FAILED', { detail: 'no rebuild source configured' });
      drop(spec);
      create(spec);
      return fill(spec, from, signal);
    },
    async listCollections({ tenantId }) {
      const dir = join(config.dir, encodeName(tenantId));
      if (!existsSync(dir)) return [];
      return readdirSync(dir)
        .filter((name) => existsSync(join(dir, name, 'index.db')))
        .map(decodeName)
        .sort();
    },
  };
}
