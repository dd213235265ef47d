/**
 * Applies document writes to the Store and the search index. Idempotent and order-safe: a write
 * applies only if its event is newer (in log order) than the last one applied to that document,
 * so redeliveries and out-of-order retries cannot resurrect old versions.
 */
import type { Cache } from '../../ports/cache.port.js';
import type { Embedder } from '../../ports/embedder.port.js';
import type { SearchIndex } from '../../ports/search-index.port.js';
import { chunkText } from '../../text/chunker.js';
import type { Collection, RagStore } from '../store/rag.store.js';
import { documentContent } from './document-text.js';
import { ownerOf, scopeOf } from '../member-view.js';

export type WriteOutcome = 'indexed' | 'unchanged' | 'deleted' | 'stale' | 'refused';

export interface DocumentWrite {
  collection: Collection;
  documentId: string;
  /** Fields for an upsert; null for a delete. */
  fields: Record<string, unknown> | null;
  eventId: string;
  /**
   * Set when the write is made on behalf of a user in a per-user collection: a live document
   * owned by anyone else is left as it is (outcome `refused`).
   */
  owner?: string | null;
  /**
   * Set when a member's event writes into a shared collection: the version is recorded as written
   * by this user, and a live document anyone else wrote (another member, an admin or ingest key)
   * is left as it is (outcome `refused`). Without it the write is an admin's or ingest's.
   */
  writer?: string;
}

export interface DocumentIndexerDeps {
  repo: RagStore;
  index: SearchIndex;
  embedderFor: (collection: Collection) => Embedder;
  cache: Cache;
}

export function searchNamespace(tenantId: string, collection: string): string {
  return `search:${tenantId}:${collection}`;
}

export class DocumentIndexer {
  /** Writes to one document in this process run one after another (events without a subject are not ordered by the bus). */
  readonly #locks = new Map<string, Promise<unknown>>();
  /** Partitions this process has made sure of (another process may have created the collection). */
  readonly #ensured = new Set<string>();

  constructor(private readonly deps: DocumentIndexerDeps) {}

  async apply(write: DocumentWrite): Promise<WriteOutcome> {
    const key = `${write.collection.tenantId}\u0000${write.collection.name}\u0000${write.documentId}`;
    const previous = this.#locks.get(key) ?? Promise.resolve();
    const run = previous.catch(() => undefined).then(() => this.#apply(write));
    this.#locks.set(key, run);
    try {
      return await run;
    } finally {
      if (this.#locks.get(key) === run) this.#locks.delete(key);
    }
  }

  async #ensurePartition(collection: Collection): Promise<void> {
    const key = `${collection.tenantId}\u0000${collection.name}`;
    if (this.#ensured.has(key)) return;
    await this.deps.index.ensureCollection({
      tenantId: collection.tenantId, collection: collection.name, dimension: collection.dimension, language: collection.settings.language,
    });
    this.#ensured.add(key);
  }

  async #apply(write: DocumentWrite): Promise<WriteOutcome> {
    const { repo, index } = this.deps;
    const { collection, documentId, eventId } = write;
    const ref = { tenantId: collection.tenantId, collection: collection.name };
    await this.#ensurePartition(collection);
    const existing = await repo.getDocument(ref.tenantId, ref.collection, documentId);
    if (existing && existing.sourceEventId >= eventId) return 'stale';
    if (write.owner !== undefined && existing && !existing.deleted && ownerOf(existing.fields) !== write.owner) return 'refused';
    if (write.writer !== undefined && existing && !existing.deleted && existing.writer !== write.writer) return 'refused';
    const writer = write.writer ?? null;
    const now = Date.now();
    if (write.fields === null) {
      await index.deleteDocuments({ ...ref, documentIds: [documentId] });
      await repo.putDocument(ref.tenantId, ref.collection, { id: documentId, fields: null, contentHash: null, sourceEventId: eventId, deleted: true, updatedAt: now, writer, owner: null });
      await this.deps.cache.bump(searchNamespace(ref.tenantId, ref.collection));
      return 'deleted';
    }
    const content = documentContent(collection.settings, write.fields);
    const unchanged = existing && !existing.deleted && existing.contentHash === content.contentHash;
    if (!unchanged) {
      const chunks = chunkText(content.text, collection.settings.chunking);
      const vectors = chunks.length > 0 ? await this.deps.embedderFor(collection).embed({ texts: chunks.map((c) => c.text), purpose: 'document' }) : [];
      await index.deleteDocuments({ ...ref, documentIds: [documentId] });
      if (chunks.length > 0) {
        await index.upsert({
          ...ref,
          chunks: chunks.map((chunk, i) => ({
            id: `${documentId}#${chunk.index}`, documentId, text: chunk.text, vector: vectors[i]!,
            metadata: content.metadata, sourceEventId: eventId,
          })),
        });
      }
    }
    // The owner column mirrors the owner metadata of a per-user collection (privacy lookups).
    const owner = scopeOf(collection) === 'user' ? ownerOf(write.fields) : null;
    await repo.putDocument(ref.tenantId, ref.collection, { id: documentId, fields: write.fields, contentHash: content.contentHash, sourceEventId: eventId, deleted: false, updatedAt: now, writer, owner });
    if (!unchanged) await this.deps.cache.bump(searchNamespace(ref.tenantId, ref.collection));
    return unchanged ? 'unchanged' : 'indexed';
  }
}
