/** Chooses the adapter behind each port from configuration alone. */
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { sql } from 'kysely';
import type { Config } from './config.js';
import { createLocalBroadcast } from './adapters/bus/local/local.broadcast.js';
import { createNatsBroadcast } from './adapters/bus/nats/nats.broadcast.js';
import { createNatsPublisher } from './adapters/bus/nats/nats.publisher.js';
import { createMemoryCache } from './adapters/cache/memory/memory.cache.js';
import { createRedisBroadcast } from './adapters/cache/redis/redis.broadcast.js';
import { createRedisCache } from './adapters/cache/redis/redis.cache.js';
import { withEmbeddingCache } from './adapters/embedder/cached.embedder.js';
import { createHashEmbedder } from './adapters/embedder/hash/hash.embedder.js';
import { createOpenAiEmbedder } from './adapters/embedder/openai/openai.embedder.js';
import { createTransformersEmbedder } from './adapters/embedder/transformers/transformers.embedder.js';
import { createExtractiveGenerator } from './adapters/generator/extractive/extractive.generator.js';
import { createOpenAiGenerator } from './adapters/generator/openai/openai.generator.js';
import { createEmbeddedSearchIndex } from './adapters/search/embedded/embedded.search-index.js';
import { createQdrantSearchIndex } from './adapters/search/qdrant/qdrant.search-index.js';
import { createPostgresStore } from './adapters/sql/postgres.store.js';
import { createSqliteStore } from './adapters/sql/sqlite.store.js';
import type { SqlStore } from './adapters/sql/sql-store.js';
import type { Logger } from './platform/logger.js';
import { createProviderPolicy, withGeneratorResilience, withResilience } from './platform/resilience.js';
import { ensureWritableDir, reachable, redisReady } from './platform/startup.js';
import type { Broadcast, EventPublisher } from './ports/bus.port.js';
import type { Cache } from './ports/cache.port.js';
import type { Embedder } from './ports/embedder.port.js';
import type { Generator } from './ports/generator.port.js';
import type { RebuildSource, SearchIndex } from './ports/search-index.port.js';

export interface Backends {
  store: SqlStore;
  /** Publishes committed events to NATS JetStream for other services (with NATS_URL; null otherwise). */
  publisher: EventPublisher | null;
  broadcast: Broadcast;
  cache: Cache;
  /** An ioredis client when REDIS_URL is set (rate-limit counters). */
  redis: Redis | null;
  /** The configured embedder (remote ones behind their resilience policy and an embedding cache), initialised. */
  embedder: Embedder;
  /** The configured generator, behind its resilience policy. */
  generator: Generator;
  /** The extractive generator: the answer when the configured one fails. */
  fallbackGenerator: Generator;
  /** The search index (Qdrant with QDRANT_URL, else embedded in DATA_DIR), initialised. */
  searchIndex: SearchIndex;
  /**
   * Registers where the search index rebuilds a collection from (the feature that stores the
   * documents does so at setup). The index is created before any feature, so its `rebuild`
   * option calls through to whatever was registered last.
   */
  setSearchRebuildSource(source: RebuildSource): void;
  /** What each port runs on, for logs and /health/ready. */
  describe: Record<'store' | 'publisher' | 'cache' | 'broadcast', string>;
  close(): Promise<void>;
}

function createStore(config: Config, logger: Logger): SqlStore {
  return config.DATABASE_URL
    ? createPostgresStore({
      connectionString: config.DATABASE_URL,
      ...(config.DATABASE_SCHEMA ? { schema: config.DATABASE_SCHEMA } : {}),
      onConnectionError: (error) => logger.warn({ err: error }, 'a PostgreSQL connection failed; the pool replaces it'),
    })
    : createSqliteStore({ filename: join(config.DATA_DIR, 'eventrag.db') });
}

function createPublisher(config: Config): EventPublisher | null {
  if (config.NATS_URL) {
    return createNatsPublisher({
      url: config.NATS_URL, stream: config.NATS_STREAM, subjectPrefix: config.NATS_SUBJECT_PREFIX,
    });
  }
  return null;
}

/** Realtime fan-out: across processes over NATS (preferred) or Redis pub/sub; in-process otherwise. */
function createBroadcast(config: Config): Broadcast {
  if (config.NATS_URL) return createNatsBroadcast({ url: config.NATS_URL, subjectPrefix: config.NATS_SUBJECT_PREFIX });
  if (config.REDIS_URL) return createRedisBroadcast({ url: config.REDIS_URL, keyPrefix: config.REDIS_KEY_PREFIX });
  return createLocalBroadcast();
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

/** Embedder, generators and search index: created and initialised here, handed to features as ports. */
async function createProviders(config: Config, logger: Logger) {
  const embedder = createEmbedder(config);
  await embedder.init();
  const generator = createGenerator(config);
  const fallbackGenerator = generator.kind === 'extractive' ? generator : createExtractiveGenerator();
  // Late-bound: the documents a collection is rebuilt from belong to a feature set up after this.
  let source: RebuildSource | null = null;
  const rebuild: RebuildSource = (ref) => {
    if (!source) throw new Error('no search rebuild source registered');
    return source(ref);
  };
  const searchIndex = config.QDRANT_URL
    ? createQdrantSearchIndex({ url: config.QDRANT_URL, apiKey: config.QDRANT_API_KEY, rebuild })
    : createEmbeddedSearchIndex({ dir: join(config.DATA_DIR, 'search'), rebuild });
  await searchIndex.init();
  if (searchIndex.kind === 'embedded' && config.DATABASE_URL) {
    // A shared store suggests several processes; the embedded index lives in this process's DATA_DIR.
    logger.warn('search index is embedded (per process) while the store is shared: run API and consumers in one process, or set QDRANT_URL for several (docs/deploy.md)');
  }
  return {
    embedder, generator, fallbackGenerator, searchIndex,
    setSearchRebuildSource(next: RebuildSource) { source = next; },
    async close() {
      await searchIndex.close();
      await embedder.close();
      await generator.close();
    },
  };
}

/** Start-up: every remote backend named in the configuration answers its first connection in time. */
async function connectAtStart(config: Config, store: SqlStore, publisher: EventPublisher | null, redis: Redis | null): Promise<void> {
  if (config.DATABASE_URL) await reachable('PostgreSQL', 'DATABASE_URL', config.DATABASE_URL, () => sql`select 1`.execute(store.db));
  if (redis) await reachable('Redis', 'REDIS_URL', config.REDIS_URL!, () => redisReady(redis));
  if (config.NATS_URL && publisher) await reachable('NATS', 'NATS_URL', config.NATS_URL, () => publisher.init());
}

/**
 * The backends without embedder, generators and search index: the CLI's store commands (migrate,
 * keys, the demo loader) must not load a model, call a provider or open the index a running
 * server holds.
 */
export type StoreBackends = Omit<Backends, 'embedder' | 'generator' | 'fallbackGenerator' | 'searchIndex' | 'setSearchRebuildSource'>;

type Providers = Awaited<ReturnType<typeof createProviders>>;

function providerPorts(providers: Providers) {
  return {
    embedder: providers.embedder, generator: providers.generator, fallbackGenerator: providers.fallbackGenerator,
    searchIndex: providers.searchIndex, setSearchRebuildSource: providers.setSearchRebuildSource,
  };
}

export async function createBackends(config: Config, logger: Logger): Promise<Backends>;
export async function createBackends(config: Config, logger: Logger, options: { providers: false }): Promise<StoreBackends>;
export async function createBackends(config: Config, logger: Logger, options: { providers?: boolean } = {}): Promise<Backends | StoreBackends> {
  // The embedded store and the embedded search index live in DATA_DIR.
  if (!config.DATABASE_URL || !config.QDRANT_URL) ensureWritableDir(config.DATA_DIR);
  const store = createStore(config, logger);
  const publisher = createPublisher(config);
  const broadcast = createBroadcast(config);
  const cache = config.REDIS_URL ? createRedisCache({ url: config.REDIS_URL, keyPrefix: `${config.REDIS_KEY_PREFIX}cache:` }) : createMemoryCache({ maxEntries: 10_000 });
  const redis = config.REDIS_URL ? new Redis(config.REDIS_URL, { lazyConnect: false, maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 2_000 }) : null;
  let providers: Providers | null;
  try {
    await connectAtStart(config, store, publisher, redis);
    providers = options.providers === false ? null : await createProviders(config, logger);
  } catch (error) {
    const closing = Promise.allSettled([publisher?.close(), broadcast.close(), cache.close(), Promise.resolve(redis?.disconnect()), store.close()]);
    await Promise.race([closing, new Promise((resolve) => setTimeout(resolve, 2_000).unref())]);
    throw error;
  }
  redis?.on('error', (error) => logger.warn({ err: error }, 'redis (rate limits) error'));
  return {
    store, publisher, broadcast, cache, redis,
    ...(providers ? providerPorts(providers) : {}),
    describe: {
      store: store.dialect,
      publisher: publisher?.kind ?? 'none',
      cache: cache.kind,
      broadcast: config.NATS_URL ? 'nats' : config.REDIS_URL ? 'redis' : 'local',
    },
    async close() {
      await providers?.close();
      await publisher?.close();
      await broadcast.close();
      await cache.close();
      redis?.disconnect();
      await store.close();
    },
  };
}
