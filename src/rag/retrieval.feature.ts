/**
 * The retrieval feature: collections, stored documents, the indexer consumer, search and answers.
 * Its adapters (embedder, generators, search index) are created by the composition root
 * (src/backends.ts) and arrive as ports in the FeatureContext; its own tables sit behind the
 * RagStore port (store/rag.store.ts).
 */
import type { Config } from '../config.js';
import { defineFeature, type FeatureContext, type FeatureParts } from '../feature.js';
import type { Embedder } from '../ports/embedder.port.js';
import type { Generator } from '../ports/generator.port.js';
import type { CollectionRef, IndexChunk, RebuildSource, SearchIndex } from '../ports/search-index.port.js';
import { chunkText } from '../text/chunker.js';
import { collectionsRoutes } from './collections/collections.routes.js';
import { CollectionsService } from './collections/collections.service.js';
import { documentContent } from './documents/document-text.js';
import { DocumentIndexer } from './documents/document-indexer.js';
import { documentsRoutes } from './documents/documents.routes.js';
import type { UploadSettings } from './documents/files.routes.js';
import { indexerConsumer } from './indexer.consumer.js';
import { retrievalPrivacy } from './retrieval.privacy.js';
import { AnswerService } from './search/answer.service.js';
import { searchRoutes } from './search/search.routes.js';
import { SearchService } from './search/search.service.js';
import { ragMigrations } from './store/rag.migrations.js';
import { SqlRagStore } from './store/rag.sql.js';
import type { RagStore } from './store/rag.store.js';

/** What `App.retrieval` offers the CLI and tests. */
export interface RetrievalApi {
  repo: RagStore;
  embedder: Embedder;
  generator: Generator;
  index: SearchIndex;
  collections: CollectionsService;
  /**
   * Applies one document write (chunk, embed, index; idempotent by event id) the way the indexer
   * does: for features that feed a collection from their own consumer (memory's chat-messages).
   */
  documents: DocumentIndexer;
  search: SearchService;
  answers: AnswerService;
  /**
   * Collections indexed with another embedder than the configured one are rebuilt by replay,
   * never searched with mixed vectors. Returns the collections being rebuilt.
   */
  reindexStale(): Promise<string[]>;
}

function uploadSettings(config: Config): UploadSettings {
  return {
    maxFileBytes: config.UPLOAD_MAX_BYTES, maxTextBytes: config.UPLOAD_MAX_TEXT_BYTES, maxEventBytes: config.EVENT_MAX_BYTES,
    extractTimeoutMs: config.UPLOAD_EXTRACT_TIMEOUT_MS, extractMemoryMb: config.UPLOAD_EXTRACT_MEMORY_MB,
  };
}

/** Re-chunks and re-embeds a collection's stored documents: the index's source of truth for rebuilds. */
function rebuildSource(repo: RagStore, embedder: Embedder): RebuildSource {
  return async function* source(ref: CollectionRef): AsyncIterable<IndexChunk> {
    // Document collections match COLLECTION_NAME_PATTERN (no leading `_`); `_…` partitions belong
    // to other features (the analytics' `_people`), which fill them from their own projections,
    // often inside a transaction that holds the store's only SQLite connection: don't read here.
    if (ref.collection.startsWith('_')) return;
    const collection = await repo.get(ref.tenantId, ref.collection);
    if (!collection) return;
    let after: string | null = null;
    for (;;) {
      const docs = await repo.pageDocuments(ref.tenantId, ref.collection, after, 200);
      if (docs.length === 0) return;
      for (const doc of docs) {
        const content = documentContent(collection.settings, doc.fields ?? {});
        const chunks = chunkText(content.text, collection.settings.chunking);
        const vectors = chunks.length > 0 ? await embedder.embed({ texts: chunks.map((c) => c.text), purpose: 'document' }) : [];
        for (const [i, chunk] of chunks.entries()) {
          yield { id: `${doc.id}#${chunk.index}`, documentId: doc.id, text: chunk.text, vector: vectors[i]!, metadata: content.metadata, sourceEventId: doc.sourceEventId };
        }
      }
      after = docs.at(-1)!.id;
    }
  };
}

/** Builds the feature's parts; `retrievalFeature.setup` is this. */
export async function createRetrieval(ctx: FeatureContext): Promise<FeatureParts<RetrievalApi>> {
  const { config, cache, logger, embedder, searchIndex: index } = ctx;
  const repo = new SqlRagStore(ctx.db);
  ctx.setSearchRebuildSource(rebuildSource(repo, embedder));
  const collections = new CollectionsService({ repo, index, embedder, cache, replay: ctx.replay });
  const documentIndexer = new DocumentIndexer({ repo, index, embedderFor: () => embedder, cache });
  const consumer = indexerConsumer({ collections, indexer: documentIndexer, metrics: ctx.metrics, logger: logger.child({ consumer: 'indexer' }) }, await collections.sourceTypes());
  const search = new SearchService({ collections, index, embedder, cache });
  const answers = new AnswerService({ search, generator: ctx.generator, fallback: ctx.fallbackGenerator, metrics: ctx.metrics, logger: logger.child({ component: 'answers' }) });
  async function reindexStale(): Promise<string[]> {
    const stale = (await repo.listAll()).filter((c) => collections.isStale(c));
    for (const c of stale) {
      logger.warn({ tenantId: c.tenantId, collection: c.name, from: c.embedderModel, to: embedder.model }, 'embedder changed: rebuilding collection from the log');
      await collections.update(c.tenantId, c.name, {});
    }
    return stale.map((c) => `${c.tenantId}/${c.name}`);
  }
  return {
    consumers: [consumer],
    routes: [
      { plugin: collectionsRoutes, options: { collections, repo, index } },
      { plugin: documentsRoutes, options: { collections, repo, ingest: ctx.ingest, uploads: uploadSettings(config) } },
      { plugin: searchRoutes, options: { search, answers } },
    ],
    privacy: retrievalPrivacy({ repo, index, cache }),
    // Workers rebuild what a change of embedder left stale (the API role does not).
    start: async () => { await reindexStale(); },
    api: { repo, embedder, generator: ctx.generator, index, collections, documents: documentIndexer, search, answers, reindexStale },
  };
}

export const retrievalFeature = defineFeature<RetrievalApi>({
  name: 'retrieval',
  migrations: ragMigrations,
  // Before features had their own migration tables these ran in the backbone's.
  adopts: ['002_rag_collections', '006_rag_document_writer'],
  setup: createRetrieval,
});
