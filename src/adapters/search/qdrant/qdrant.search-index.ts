/**
 * The scale-out SearchIndex on Qdrant. One Qdrant collection per (tenant, collection), named
 * `<prefix>__<tenant>__<collection>` (encoded), holding per chunk a dense vector `dense`
 * (cosine) and a sparse BM25 vector `bm25_<language>` (idf modifier; the name records the
 * collection's language). Hybrid search is fused on the server: two prefetches (dense, sparse)
 * under one query with reciprocal rank fusion. Payload: chunkId, documentId, text, metadata,
 * sourceEventId, writeSeq (write order, for `lastSourceEventId`).
 */
import { QdrantClient, type Schemas } from '@qdrant/js-client-rest';
import { AppError } from '../../../platform/errors.js';
import type {
  CollectionRef, CollectionSpec, CollectionStats, IndexChunk, Metadata, RebuildSource, SearchHit, SearchIndex, SearchParams,
} from '../../../ports/search-index.port.js';
import type { LanguageSetting } from '../../../text/language.js';
import { decodeName, encodeName } from '../embedded/embedded.search-index.js';
import { toQdrantFilter } from './qdrant.filter.js';
import { DEFAULT_BM25, documentVector, pointId, queryVector, type Bm25Settings } from './qdrant.sparse.js';

export interface QdrantSearchIndexConfig {
  /** `http://host:6333`. */
  url: string;
  apiKey?: string;
  /** Prefix of every Qdrant collection name (several deployments or test runs on one server). */
  prefix?: string;
  /** Source of truth for rebuild() without a source. */
  rebuild?: RebuildSource;
  /** Candidates taken from each side before hybrid fusion (at least `limit`). */
  hybridCandidates?: number;
  bm25?: Partial<Bm25Settings>;
  /** Request timeout in milliseconds (default 10 s). */
  timeoutMs?: number;
}

const DENSE = 'dense';
const SPARSE_PREFIX = 'bm25_';
const UPSERT_BATCH = 256;

interface Layout { dimension: number; language: LanguageSetting; sparse: string }

/** Creates the Qdrant index; `init()` checks that the server answers. */
export function createQdrantSearchIndex(config: QdrantSearchIndexConfig): SearchIndex {
  const settings = Object.freeze({ prefix: 'eventrag', hybridCandidates: 100, timeoutMs: 10_000, ...config, bm25: { ...DEFAULT_BM25, ...config.bm25 } });
  const client = new QdrantClient({ url: settings.url, ...(settings.apiKey ? { apiKey: settings.apiKey } : {}), timeout: settings.timeoutMs, checkCompatibility: false });
  const layouts = new Map<string, Layout>();
  let writeSeq = Date.now() * 1000;

  const tenantPrefix = (tenantId: string) => `${settings.prefix}__${encodeName(tenantId)}__`;
  const nameOf = (ref: CollectionRef) => `${tenantPrefix(ref.tenantId)}${encodeName(ref.collection)}`;

  /** The collection's layout, or null when it does not exist. */
  async function layoutOf(ref: CollectionRef): Promise<Layout | null> {
    const name = nameOf(ref);
    const cached = layouts.get(name);
    if (cached) return cached;
    const info = await call(() => client.getCollection(name)).catch((error: unknown) => (statusOf(error) === 404 ? null : Promise.reject(error)));
    if (!info) return null;
    const layout = readLayout(info);
    layouts.set(name, layout);
    return layout;
  }

  async function requireLayout(ref: CollectionRef): Promise<Layout> {
    const layout = await layoutOf(ref);
    if (!layout) throw new AppError('NOT_FOUND', { detail: `collection ${ref.collection} has no search index`, details: { collection: ref.collection } });
    return layout;
  }

  async function create(spec: CollectionSpec): Promise<void> {
    const name = nameOf(spec);
    const sparse = `${SPARSE_PREFIX}${spec.language}`;
    await call(() => client.createCollection(name, {
      vectors: { [DENSE]: { size: spec.dimension, distance: 'Cosine' } },
      sparse_vectors: { [sparse]: { modifier: 'idf' } },
    }));
    // metadata.userId: the owner a member's search of a per-user collection filters on (SearchParams.owner).
    for (const [field, schema] of [['documentId', 'keyword'], ['writeSeq', 'integer'], ['metadata.userId', 'keyword']] as const) {
      await call(() => client.createPayloadIndex(name, { field_name: field, field_schema: schema, wait: true }));
    }
    layouts.set(name, { dimension: spec.dimension, language: spec.language, sparse });
  }

  async function upsertChunks(ref: CollectionRef, layout: Layout, chunks: IndexChunk[]): Promise<void> {
    for (const chunk of chunks) {
      if (chunk.vector.length !== layout.dimension) {
        throw new AppError('VALIDATION_FAILED', { detail: `chunk ${chunk.id} has ${chunk.vector.length} dimensions, the collection ${layout.dimension}` });
      }
    }
    for (let start = 0; start < chunks.length; start += UPSERT_BATCH) {
      const points = chunks.slice(start, start + UPSERT_BATCH).map((chunk) => {
        const sparse = documentVector(chunk.text, layout.language, settings.bm25);
        writeSeq = Math.max(writeSeq + 1, Date.now() * 1000);
        return {
          id: pointId(chunk.id),
          vector: { [DENSE]: Array.from(chunk.vector), ...(sparse.indices.length > 0 ? { [layout.sparse]: sparse } : {}) },
          payload: { chunkId: chunk.id, documentId: chunk.documentId, text: chunk.text, metadata: chunk.metadata, sourceEventId: chunk.sourceEventId, writeSeq },
        };
      });
      await call(() => client.upsert(nameOf(ref), { wait: true, points }));
    }
  }

  async function query(name: string, request: Schemas['QueryRequest']): Promise<SearchHit[]> {
    const response = await call(() => client.query(name, { ...request, with_payload: true }));
    return response.points.map(toHit);
  }

  const index: SearchIndex = {
    kind: 'qdrant',
    capabilities: { lexical: true, persistent: true, approximate: true },
    async init() {
      await call(() => client.getCollections());
    },
    async close() {
      layouts.clear();
    },
    async ensureCollection(spec) {
      const layout = await layoutOf(spec);
      if (!layout) return create(spec).catch(async (error: unknown) => {
        if (statusOf(error) !== 409 && !(await layoutOf(spec))) throw error; // created meanwhile by another process
      });
      if (layout.dimension !== spec.dimension || layout.language !== spec.language) {
        throw new AppError('CONFLICT', {
          detail: `collection ${spec.collection} is indexed with ${layout.dimension} dimensions (${layout.language}); drop or rebuild it for ${spec.dimension} (${spec.language})`,
        });
      }
    },
    async upsert({ chunks, ...ref }) {
      await upsertChunks(ref, await requireLayout(ref), chunks);
    },
    async deleteDocuments({ documentIds, ...ref }) {
      if (documentIds.length === 0 || !(await layoutOf(ref))) return 0;
      const filter = { must: [{ key: 'documentId', match: { any: documentIds } }] };
      const { count } = await call(() => client.count(nameOf(ref), { filter, exact: true }));
      if (count > 0) await call(() => client.delete(nameOf(ref), { wait: true, filter }));
      return count;
    },
    async search(params) {
      const layout = await layoutOf(params);
      if (!layout) return [];
      return runSearch(params, layout);
    },
    async stats(ref) {
      const layout = await layoutOf(ref);
      if (!layout) return null;
      return collectionStats(nameOf(ref), layout);
    },
    async dropCollection(ref) {
      layouts.delete(nameOf(ref));
      await call(() => client.deleteCollection(nameOf(ref))).catch((error: unknown) => { if (statusOf(error) !== 404) throw error; });
    },
    async rebuild({ spec, source, signal }) {
      const from = source ?? settings.rebuild;
      if (!from) throw new AppError('VALIDATION_FAILED', { detail: 'rebuild needs a source (none configured)' });
      await index.dropCollection(spec);
      await create(spec);
      const layout = await requireLayout(spec);
      let count = 0;
      let batch: IndexChunk[] = [];
      for await (const chunk of from(spec)) {
        signal?.throwIfAborted();
        batch.push(chunk);
        if (batch.length === UPSERT_BATCH) {
          await upsertChunks(spec, layout, batch);
          count += batch.length;
          batch = [];
        }
      }
      await upsertChunks(spec, layout, batch);
      return count + batch.length;
    },
    async listCollections({ tenantId }) {
      const prefix = tenantPrefix(tenantId);
      const { collections } = await call(() => client.getCollections());
      return collections.map((c) => c.name).filter((name) => name.startsWith(prefix)).map((name) => decodeName(name.slice(prefix.length))).sort();
    },
  };

  async function runSearch(params: SearchParams, layout: Layout): Promise<SearchHit[]> {
    const name = nameOf(params);
    const limit = Math.max(1, Math.min(1000, Math.floor(params.limit)));
    const filter = toQdrantFilter(params.filter);
    const sparse = params.mode === 'dense' ? null : queryVector(params.query, layout.language, settings.bm25);
    const lexical = sparse && sparse.indices.length > 0 ? { query: sparse, using: layout.sparse } : null;
    if (params.mode === 'lexical') return lexical ? query(name, { ...lexical, filter, limit }) : [];
    if (!params.vector) throw new AppError('VALIDATION_FAILED', { detail: `mode ${params.mode} needs a query vector` });
    if (params.vector.length !== layout.dimension) {
      throw new AppError('VALIDATION_FAILED', { detail: `query vector has ${params.vector.length} dimensions, the collection ${layout.dimension}` });
    }
    const dense = { query: Array.from(params.vector), using: DENSE };
    // Hybrid with one side weighted out, or nothing lexical to match: a single-sided query.
    if (params.mode === 'dense' || params.denseWeight === 1 || !lexical) return query(name, { ...dense, filter, limit });
    if (params.denseWeight === 0) return query(name, { ...lexical, filter, limit });
    const candidates = Math.max(limit, settings.hybridCandidates);
    return query(name, {
      prefetch: [{ ...dense, filter, limit: candidates }, { ...lexical, filter, limit: candidates }],
      query: { fusion: 'rrf' },
      limit,
    });
  }

  async function collectionStats(name: string, layout: Layout): Promise<CollectionStats> {
    const { count: chunks } = await call(() => client.count(name, { exact: true }));
    const facet = chunks === 0 ? { hits: [] } : await call(() => client.facet(name, { key: 'documentId', limit: chunks, exact: true }));
    const last = await call(() => client.scroll(name, { limit: 1, order_by: { key: 'writeSeq', direction: 'desc' }, with_payload: ['sourceEventId'] }));
    const lastSourceEventId = last.points[0]?.payload?.sourceEventId;
    return {
      documents: facet.hits.length,
      chunks,
      // Qdrant reports no size per collection: vectors (f32) plus a rough payload estimate.
      sizeBytes: chunks * (layout.dimension * 4 + 512),
      dimension: layout.dimension,
      lastSourceEventId: typeof lastSourceEventId === 'string' ? lastSourceEventId : null,
    };
  }

  return index;
}

function readLayout(info: Schemas['CollectionInfo']): Layout {
  const vectors = info.config.params.vectors as Record<string, { size?: number }> | undefined;
  const sparse = Object.keys(info.config.params.sparse_vectors ?? {}).find((key) => key.startsWith(SPARSE_PREFIX)) ?? `${SPARSE_PREFIX}auto`;
  return { dimension: vectors?.[DENSE]?.size ?? 0, language: sparse.slice(SPARSE_PREFIX.length) as LanguageSetting, sparse };
}

function toHit(point: Schemas['ScoredPoint']): SearchHit {
  const payload = (point.payload ?? {}) as { chunkId?: string; documentId?: string; text?: string; metadata?: Metadata; sourceEventId?: string };
  return {
    chunkId: payload.chunkId ?? String(point.id),
    documentId: payload.documentId ?? '',
    score: point.score,
    text: payload.text ?? '',
    metadata: payload.metadata ?? {},
    sourceEventId: payload.sourceEventId ?? '',
  };
}

/** HTTP status of a failed Qdrant call, when the server answered (also through an AppError from `call`). */
function statusOf(error: unknown): number | undefined {
  if (error instanceof AppError) return typeof error.details?.status === 'number' ? error.details.status : undefined;
  const status = (error as { status?: unknown }).status;
  if (typeof status === 'number') return status;
  const match = /Unexpected Response: (\d{3})/.exec(error instanceof Error ? error.message : '');
  return match ? Number(match[1]) : undefined;
}

/** Runs a Qdrant call; failures become PROVIDER_UNAVAILABLE (a missing collection NOT_FOUND), with the HTTP status in details. */
async function call<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    const status = statusOf(error);
    const detail = `Qdrant: ${error instanceof Error ? error.message : String(error)}`;
    if (status === 404) throw new AppError('NOT_FOUND', { detail, details: { status }, cause: error });
    throw new AppError('PROVIDER_UNAVAILABLE', { detail, category: 'third_party', details: { status }, cause: error });
  }
}
