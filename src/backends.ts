/** Chooses the adapter behind each port from configuration alone. */
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { sql } from 'kysely';
import type { Config } from './config.js';
import { createLocalBroadcast } from './adapters/bus/local/local.broadcast.js';
import { createLocalBus, type LocalBus } from './adapters/bus/local/local.bus.js';
import { createNatsBroadcast } from './adapters/bus/nats/nats.broadcast.js';
import { createNatsBus } from './adapters/bus/nats/nats.bus.js';
import { createMemoryCache } from './adapters/cache/memory/memory.cache.js';
import { createRedisBroadcast } from './adapters/cache/redis/redis.broadcast.js';
import { createRedisCache } from './adapters/cache/redis/redis.cache.js';
import { createPostgresStore } from './adapters/sql/postgres.store.js';
import { createSqliteStore } from './adapters/sql/sqlite.store.js';
import { registerMigrations, type SqlStore } from './adapters/sql/sql-store.js';
import { ragMigrations } from './rag/rag.migrations.js';
import type { Logger } from './platform/logger.js';
import { ensureWritableDir, reachable, redisReady } from './platform/startup.js';
import type { Broadcast, Bus } from './ports/bus.port.js';
import type { Cache } from './ports/cache.port.js';

// Feature tables live beside their features; every store created here migrates them too.
registerMigrations(ragMigrations);

export interface Backends {
  store: SqlStore;
  bus: Bus;
  broadcast: Broadcast;
  cache: Cache;
  /** An ioredis client when REDIS_URL is set (rate-limit counters). */
  redis: Redis | null;
  /** What each port runs on, for logs and /health/ready. */
  describe: Record<'store' | 'bus' | 'cache' | 'broadcast', string>;
  /** Wakes in-process consumers after a relay (no-op for remote buses). */
  wakeConsumers(): void;
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

function createBus(config: Config, store: SqlStore, logger: Logger): Bus {
  if (config.NATS_URL) {
    return createNatsBus({
      url: config.NATS_URL, stream: config.NATS_STREAM, subjectPrefix: config.NATS_SUBJECT_PREFIX, logger: logger.child({ component: 'bus' }),
      // A crashed worker's messages come back when its lease runs out, as with the in-process bus.
      ackWaitMs: config.CONSUMER_LEASE_MS,
    });
  }
  return createLocalBus({ deliveries: store.deliveries, pollMs: config.CONSUMER_POLL_MS, leaseMs: config.CONSUMER_LEASE_MS, logger: logger.child({ component: 'bus' }) });
}

/** Realtime fan-out: across processes over NATS (preferred) or Redis pub/sub; in-process otherwise. */
function createBroadcast(config: Config): Broadcast {
  if (config.NATS_URL) return createNatsBroadcast({ url: config.NATS_URL, subjectPrefix: config.NATS_SUBJECT_PREFIX });
  if (config.REDIS_URL) return createRedisBroadcast({ url: config.REDIS_URL, keyPrefix: config.REDIS_KEY_PREFIX });
  return createLocalBroadcast();
}

/** Start-up: every remote backend named in the configuration answers its first connection in time. */
async function connectAtStart(config: Config, store: SqlStore, bus: Bus, redis: Redis | null): Promise<void> {
  if (config.DATABASE_URL) await reachable('PostgreSQL', 'DATABASE_URL', config.DATABASE_URL, () => sql`select 1`.execute(store.db));
  if (redis) await reachable('Redis', 'REDIS_URL', config.REDIS_URL!, () => redisReady(redis));
  if (config.NATS_URL) await reachable('NATS', 'NATS_URL', config.NATS_URL, () => bus.init());
  else await bus.init();
}

export async function createBackends(config: Config, logger: Logger): Promise<Backends> {
  // The embedded store and the embedded search index live in DATA_DIR.
  if (!config.DATABASE_URL || !config.QDRANT_URL) ensureWritableDir(config.DATA_DIR);
  const store = createStore(config, logger);
  const bus = createBus(config, store, logger);
  const broadcast = createBroadcast(config);
  const cache = config.REDIS_URL ? createRedisCache({ url: config.REDIS_URL, keyPrefix: `${config.REDIS_KEY_PREFIX}cache:` }) : createMemoryCache({ maxEntries: 10_000 });
  const redis = config.REDIS_URL ? new Redis(config.REDIS_URL, { lazyConnect: false, maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 2_000 }) : null;
  try {
    await connectAtStart(config, store, bus, redis);
  } catch (error) {
    const closing = Promise.allSettled([bus.close(), broadcast.close(), cache.close(), Promise.resolve(redis?.disconnect()), store.close()]);
    await Promise.race([closing, new Promise((resolve) => setTimeout(resolve, 2_000).unref())]);
    throw error;
  }
  redis?.on('error', (error) => logger.warn({ err: error }, 'redis (rate limits) error'));
  return {
    store, bus, broadcast, cache, redis,
    describe: {
      store: store.dialect,
      bus: bus.kind,
      cache: cache.kind,
      broadcast: config.NATS_URL ? 'nats' : config.REDIS_URL ? 'redis' : 'local',
    },
    wakeConsumers: () => { if (bus.kind === 'local') (bus as LocalBus).wake(); },
    async close() {
      await bus.close();
      await broadcast.close();
      await cache.close();
      redis?.disconnect();
      await store.close();
    },
  };
}
