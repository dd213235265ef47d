/**
 * The scale-out cache: Redis via ioredis, shared by every process. Values are JSON with a
 * millisecond TTL (`SET … PX`); namespace generations are plain counters (`INCR`) without TTL.
 * Commands fail after `commandTimeoutMs` instead of queueing forever while Redis is down, so the
 * composition root's policies can fall back.
 */
import { Redis } from 'ioredis';
import { AppError } from '../../../platform/errors.js';
import type { Cache } from '../../../ports/cache.port.js';

export interface RedisCacheConfig {
  /** `redis://[:password@]host:port[/db]` */
  url: string;
  /** Prepended to every key, e.g. `eventrag:`; lets several deployments or test runs share one Redis. */
  keyPrefix: string;
  /** How long one command may take before it fails (default 1000 ms). */
  commandTimeoutMs?: number;
}

/** The slice of ioredis this adapter uses. */
type RedisClient = Pick<Redis, 'get' | 'set' | 'del' | 'incr' | 'quit' | 'disconnect'>;

/** Creates a Redis-backed cache; the connection opens in the background. */
export function createRedisCache(config: RedisCacheConfig): Cache {
  const settings = Object.freeze({ commandTimeoutMs: 1_000, ...config });
  const redis = new Redis(settings.url, { commandTimeout: settings.commandTimeoutMs, maxRetriesPerRequest: 1 });
  // Connection errors surface on the commands that need the connection; ioredis keeps reconnecting.
  redis.on('error', () => {});
  const client: RedisClient = redis;
  const entryKey = (key: string) => `${settings.keyPrefix}c:${key}`;
  const generationKey = (namespace: string) => `${settings.keyPrefix}g:${namespace}`;
  return {
    kind: 'redis',
    async get<T>(key: string) {
      const raw = await call(() => client.get(entryKey(key)));
      return raw === null ? undefined : (JSON.parse(raw) as T);
    },
    async set<T>(key: string, value: T, ttlMs: number) {
      const raw = JSON.stringify(value);
      if (raw === undefined) {
        await call(() => client.del(entryKey(key)));
        return;
      }
      await call(() => client.set(entryKey(key), raw, 'PX', Math.max(1, Math.ceil(ttlMs))));
    },
    async delete(key: string) {
      await call(() => client.del(entryKey(key)));
    },
    async bump(namespace: string) {
      return call(() => client.incr(generationKey(namespace)));
    },
    async generation(namespace: string) {
      const raw = await call(() => client.get(generationKey(namespace)));
      return raw === null ? 0 : Number(raw);
    },
    async close() {
      await client.quit().catch(() => client.disconnect());
    },
  };
}

/** Runs one Redis command, reporting failures as PROVIDER_UNAVAILABLE. */
async function call<T>(command: () => Promise<T>): Promise<T> {
  try {
    return await command();
  } catch (error) {
    throw new AppError('PROVIDER_UNAVAILABLE', { detail: 'Redis cache is unavailable', category: 'third_party', cause: error });
  }
}
