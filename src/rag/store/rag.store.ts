/**
 * The retrieval feature's store port: collection definitions and stored documents (the source of
 * truth every search index is rebuilt from). One Kysely adapter serves SQLite and PostgreSQL
 * (rag.sql.ts); test/contract/rag-store.contract.ts is the contract both dialects pass.
 */
import type { CollectionSettings } from '../collections/collection.schemas.js';

export interface Collection {
  tenantId: string;
  name: string;
  template: string | null;
  settings: CollectionSettings;
  embedderModel: string;
  dimension: number;
  createdAt: number;
  updatedAt: number;
}

export interface StoredDocument {
  id: string;
  fields: Record<string, unknown> | null;
  contentHash: string | null;
  sourceEventId: string;
  deleted: boolean;
  updatedAt: number;
  /** The member whose event wrote this version (shared collections), or null (admin, ingest, older writes). */
  writer: string | null;
  /** The owner in a per-user collection (the `userId` metadata); null in shared collections and for tombstones. */
  owner: string | null;
}

/** A stored document with the collection it belongs to (privacy hooks). */
export interface CollectionDocument {
  collection: string;
  document: StoredDocument;
}

export interface RagStore {
  /** The tenant's collections, by name. */
  list(tenantId: string): Promise<Collection[]>;
  /** Every collection of every tenant (start-up checks). */
  listAll(): Promise<Collection[]>;
  get(tenantId: string, name: string): Promise<Collection | undefined>;
  /** Inserts unless it exists; returns whether it was created. */
  insert(collection: Collection): Promise<boolean>;
  /** Replaces settings, embedder model, dimension and updatedAt of an existing collection. */
  update(collection: Collection): Promise<void>;
  /** Deletes the collection and its documents; false when there was none. */
  remove(tenantId: string, name: string): Promise<boolean>;
  /**
   * Distinct event types named by any collection's sources, across tenants (the indexer's
   * runtime subscription: read before each batch, so one cheap query).
   */
  sourceTypes(): Promise<string[]>;

  getDocument(tenantId: string, collection: string, id: string): Promise<StoredDocument | undefined>;
  /** Writes a document version (a tombstone when `fields` is null and `deleted` is set). */
  putDocument(tenantId: string, collection: string, document: StoredDocument): Promise<void>;
  /** Live documents of a collection in id order, a page at a time (rebuilds). */
  pageDocuments(tenantId: string, collection: string, afterId: string | null, limit: number): Promise<StoredDocument[]>;
  /** Live documents of a collection. */
  countDocuments(tenantId: string, collection: string): Promise<number>;
  /** Forgets a collection's documents (it is rebuilt from the log). */
  clearDocuments(tenantId: string, collection: string): Promise<void>;
  /** Removes the named documents (tombstones included); returns how many rows went. */
  deleteDocuments(tenantId: string, collection: string, ids: string[]): Promise<number>;
  /**
   * Stored documents about one user (tombstones included): those they own in per-user
   * collections and those they wrote as a member, by collection and id.
   */
  userDocuments(tenantId: string, userId: string): Promise<CollectionDocument[]>;
}
