/**
 * SearchIndex: dense + lexical retrieval over chunks, partitioned by (tenantId, collection).
 * Embedded adapter: usearch HNSW + SQLite FTS5 (src/adapters/search/embedded); scale-out: Qdrant.
 * Every adapter runs test/contract/search-index.contract.ts.
 */
import type { Filter } from './search-filter.js';
import type { LanguageSetting } from '../text/language.js';

/** A metadata value; `string[]` fields match `eq`/`in` when any element matches. */
export type MetadataValue = string | number | boolean | null | string[];
export type Metadata = Record<string, MetadataValue>;

export type SearchMode = 'dense' | 'lexical' | 'hybrid';

/** Addresses one partition of the index. */
export interface CollectionRef {
  tenantId: string;
  collection: string;
}

/** How a collection's partition is laid out; fixed until the collection is dropped or rebuilt. */
export interface CollectionSpec extends CollectionRef {
  /** Vector dimension (the embedder's). Upserts with another length are rejected. */
  dimension: number;
  /** Text analysis language (stemming, stopwords); `auto` detects per chunk (en/de). */
  language: LanguageSetting;
}

/**
 * One chunk to index. `text` is the RAW chunk text: the index analyses it itself (tokenise,
 * stopwords, Snowball stem, character 4-grams) with the collection's language, and returns
 * it unchanged in hits. Put a title in the text if it should be searchable.
 */
export interface IndexChunk {
  /** Chunk id, unique within the collection (e.g. `<documentId>#<n>`). Upserting an id replaces it. */
  id: string;
  documentId: string;
  text: string;
  /** The embedding of `text`, length = the collection's dimension. */
  vector: Float32Array | number[];
  metadata: Metadata;
  /** Id of the event that produced this chunk (provenance, returned in hits). */
  sourceEventId: string;
}

/** A ranked result. `score` is higher-is-better; its scale depends on the mode. */
export interface SearchHit {
  chunkId: string;
  documentId: string;
  score: number;
  text: string;
  metadata: Metadata;
  sourceEventId: string;
}

export interface SearchParams extends CollectionRef {
  /** The query as typed (used by lexical and hybrid). */
  query: string;
  /** The query embedding (used by dense and hybrid); required unless mode is `lexical`. */
  vector?: Float32Array | number[];
  mode: SearchMode;
  /**
   * Metadata filter, applied inside the query (never to a page of results afterwards). For a
   * member, SearchService passes the caller's filter ANDed under the member's view
   * (rag/member-view.ts), so an adapter that honours `and` enforces the view.
   */
  filter?: Filter;
  /**
   * The member's view of a per-user collection: only chunks whose metadata `userId` is this
   * string. `filter` already requires it; an adapter may use it to pre-select the owner's rows
   * (the embedded index has an index on it) but must still apply `filter`.
   */
  owner?: string;
  /** Most hits returned (1..1000). */
  limit: number;
  /** Hybrid only: weight of the dense side in [0, 1]; default is the adapter's measured default. */
  denseWeight?: number;
  signal?: AbortSignal;
}

export interface CollectionStats {
  documents: number;
  chunks: number;
  /** Bytes on disk (or in memory for memory adapters). */
  sizeBytes: number;
  dimension: number;
  /** Most recent `sourceEventId` written (by write order), null when empty. */
  lastSourceEventId: string | null;
}

/** Supplies every chunk of a collection from the source of truth, for a rebuild. */
export type RebuildSource = (ref: CollectionRef) => AsyncIterable<IndexChunk>;

/** What an adapter can do; contract tests branch on these instead of skipping. */
export interface SearchIndexCapabilities {
  /** Lexical (BM25) search. */
  lexical: boolean;
  /** Survives close()/init() with the same data directory or server. */
  persistent: boolean;
  /** Dense search is approximate (ANN); filtered results still equal exact search. */
  approximate: boolean;
}

export interface SearchIndex {
  readonly kind: 'memory' | 'embedded' | 'qdrant';
  readonly capabilities: SearchIndexCapabilities;
  /** Opens files/connections and reloads persisted partitions lazily. */
  init(): Promise<void>;
  /** Persists what needs persisting and releases files/connections. */
  close(): Promise<void>;
  /**
   * Creates the partition if missing (idempotent). Throws CONFLICT if it exists with another
   * dimension or language: drop or rebuild it first (never mix embedding spaces).
   */
  ensureCollection(spec: CollectionSpec): Promise<void>;
  /** Inserts or replaces chunks by id. Throws NOT_FOUND if the collection was never ensured. */
  upsert(params: CollectionRef & { chunks: IndexChunk[] }): Promise<void>;
  /** Removes every chunk of the given documents; returns how many chunks went. */
  deleteDocuments(params: CollectionRef & { documentIds: string[] }): Promise<number>;
  /** Ranked hits; an unknown collection yields no hits. */
  search(params: SearchParams): Promise<SearchHit[]>;
  /** Counts and size; null when the collection does not exist. */
  stats(ref: CollectionRef): Promise<CollectionStats | null>;
  /** Deletes the partition and its files. No error when missing. */
  dropCollection(ref: CollectionRef): Promise<void>;
  /**
   * Empties the partition (re-created with `spec`) and refills it from `source`
   * (default: the adapter's configured rebuild source). Returns the chunks indexed.
   */
  rebuild(params: { spec: CollectionSpec; source?: RebuildSource; signal?: AbortSignal }): Promise<number>;
  /** The collections of a tenant that exist in this index. */
  listCollections(params: { tenantId: string }): Promise<string[]>;
}
