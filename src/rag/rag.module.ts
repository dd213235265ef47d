/**
 * Wires the retrieval feature: embedder, generator, search index, collections, the indexer
 * consumer and the HTTP routes. Called by the composition root (src/main.ts).
 */
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import type { Config } from '../config.js';
import { createHashEmbedder } from '../adapters/embedder/hash/hash.embedder.js';
import { createOpenAiEmbedder } from '../adapters/embedder/openai/openai.embedder.js';
import { createTransformersEmbedder } from '../adapters/embedder/transformers/transformers.embedder.js';
import { withEmbeddingCache } from '../adapters/embedder/cached.embedder.js';
import { createExtractiveGenerator } from '../adapters/generator/extractive/extractive.generator.js';
import { createOpenAiGenerator } from '../adapters/generator/openai/openai.generator.js';
import { createEmbeddedSearchIndex } from '../adapters/search/embedded/embedded.search-index.js';
import { createQdrantSearchIndex } from '../adapters/search/qdrant/qdrant.search-index.js';
import type { ReplayService } from '../events/replay.service.js';
import type { IngestService } from '../events/ingest/ingest.service.js';
import type { Logger } from '../platform/logger.js';
import type { Metrics } from '../platform/metrics.js';
import { createProviderPolicy, withGeneratorResilience, withResilience } from '../platform/resilience.js';
import type { Cache } from '../ports/cache.port.js';
import type { Embedder } from '../ports/embedder.port.js';
import type { Generator } from '../ports/generator.port.js';
import type { CollectionRef, IndexChunk, SearchIndex } from '../ports/search-index.port.js';
import type { CollectionsRepo } from './collections/collections.repo.js';
import { CollectionsRepo as Repo } from './collections/collections.repo.js';
import { collectionsRoutes } from './collections/collections.routes.js';
import { CollectionsService } from './collections/collections.service.js';
import { documentContent } from './documents/document-text.js';
import { DocumentIndexer } from './documents/document-indexer.js';
import { documentsRoutes } from './documents/documents.routes.js';
import type { UploadSettings } from './documents/files.routes.js';
import { indexerConsumer } from './indexer.consumer.js';
import type { RagDatabase } from './rag.migrations.js';
import { AnswerService } from './search/answer.service.js';
import { searchRoutes } from './search/search.routes.js';
import { SearchService } from './search/search.service.js';
import { chunkText } from '../text/chunker.js';

export interface RetrievalDeps {
  config: Config;
  /** The Store's Kysely instance (the retrieval tables are in the same database). */
  db: Kysely<any>;
  cache: Cache;
  ingest: IngestService;
  replay: ReplayService;
  logger: Logger;
  metrics: Metrics;
  /** Search index override (the Qdrant adapter in the scale-out shape). */
  index?: SearchIndex;
}

export function createEmbedder(config: Config): Embedder {
  const policy = () => createProviderPolicy({ timeoutMs: config.PROVIDER_TIMEOUT_MS });
  switch (config.EMBEDDER) {
    case 'transformers':
      return withEmbeddingCache(createTransformersEmbedder({ model: config.EMBEDDING_MODEL ?? 'Xenova/all-MiniLM-L6-v2', allowRemote: !config.EMBEDDING_MODEL?.startsWith('/') }));
    case 'openai':
      return withEmbeddingCache(withResilience(createOpenAiEmbedder({ baseUrl: config.OPENAI_BASE_URL, apiKey: config.OPENAI_API_KEY, model: config.EMBEDDING_MODEL ?? 'text-embedding-3-small' }), policy()));
    default:
      return createHashEmbedder();
  }
}

export function createGenerator(config: Config): Generator {
  if (config.GENERATOR !== 'openai') return createExtractiveGenerator();
  const policy = createProviderPolicy({ timeoutMs: config.PROVIDER_TIMEOUT_MS });
  return withGeneratorResilience(createOpenAiGenerator({ baseUrl: config.OPENAI_BASE_URL, apiKey: config.OPENAI_API_KEY, model: config.OPENAI_CHAT_MODEL }), policy);
}

function uploadSettings(config: Config): UploadSettings {
  return {
    maxFileBytes: config.UPLOAD_MAX_BYTES, maxTextBytes: config.UPLOAD_MAX_TEXT_BYTES, maxEventBytes: config.EVENT_MAX_BYTES,
    extractTimeoutMs: config.UPLOAD_EXTRACT_TIMEOUT_MS, extractMemoryMb: config.UPLOAD_EXTRACT_MEMORY_MB,
  };
}

/** Re-chunks and re-embeds a collection's stored documents: the index's source of truth for rebuilds. */
function rebuildSource(repo: CollectionsRepo, embedder: Embedder) {
  return async function* source(ref: CollectionRef): AsyncIterable<IndexChunk> {
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

export async function createRetrieval(deps: RetrievalDeps) {
  const { config, cache, logger } = deps;
  const repo = new Repo(deps.db as Kysely<RagDatabase>);
  const embedder = createEmbedder(config);
  await embedder.init();
  const generator = createGenerator(config);
  const fallback = generator.kind === 'extractive' ? generator : createExtractiveGenerator();
  const index = deps.index ?? (config.QDRANT_URL
    ? createQdrantSearchIndex({ url: config.QDRANT_URL, apiKey: config.QDRANT_API_KEY, rebuild: rebuildSource(repo, embedder) })
    : createEmbeddedSearchIndex({ dir: join(config.DATA_DIR, 'search'), rebuild: rebuildSource(repo, embedder) }));
  await index.init();
  if (index.kind === 'embedded' && config.DATABASE_URL) {
    // A shared store suggests several processes; the embedded index lives in this process's DATA_DIR.
    logger.warn('search index is embedded (per process) while the store is shared: run API and consumers in one process, or set QDRANT_URL for several (docs/deploy.md)');
  }
  const collections = new CollectionsService({ repo, index, embedder, cache, replay: deps.replay });
  const documentIndexer = new DocumentIndexer({ repo, index, embedderFor: () => embedder, cache });
  const consumer = indexerConsumer({ collections, indexer: documentIndexer, metrics: deps.metrics, logger: logger.child({ consumer: 'indexer' }) }, await collections.sourceTypes());
  const refresh = setInterval(() => { consumer.refreshTypes().catch((error: unknown) => logger.warn({ err: error }, 'refreshing indexer types failed')); }, 30_000);
  refresh.unref();
  const search = new SearchService({ collections, index, embedder, cache });
  const answers = new AnswerService({ search, generator, fallback, metrics: deps.metrics, logger: logger.child({ component: 'answers' }) });
  return {
    repo, embedder, generator, index, collections, search, answers, consumer,
    routes: [
      { plugin: collectionsRoutes, options: { collections, repo, index, onChange: () => consumer.refreshTypes() } },
      { plugin: documentsRoutes, options: { collections, repo, ingest: deps.ingest, uploads: uploadSettings(config) } },
      { plugin: searchRoutes, options: { search, answers } },
    ],
    /**
     * Collections indexed with another embedder than the configured one are rebuilt by replay,
     * never searched with mixed vectors. Returns the collections being rebuilt.
     */
    async reindexStale(): Promise<string[]> {
      const stale = (await repo.listAll()).filter((c) => collections.isStale(c));
      for (const c of stale) {
        logger.warn({ tenantId: c.tenantId, collection: c.name, from: c.embedderModel, to: embedder.model }, 'embedder changed: rebuilding collection from the log');
        await collections.update(c.tenantId, c.name, {});
      }
      return stale.map((c) => `${c.tenantId}/${c.name}`);
    },
    async close() {
      clearInterval(refresh);
      await index.close();
      await embedder.close();
      await generator.close();
    },
  };
}

export type Retrieval = Awaited<ReturnType<typeof createRetrieval>>;
