/**
 * The embedded cache: an in-process LRU (lru-cache) with per-entry TTLs. Values are stored as
 * JSON, so callers see exactly what the Redis cache would give them (copies, JSON types only).
 */
import { LRUCache } from 'lru-cache';
import type { Cache } from '../../../ports/cache.port.js';

export interface MemoryCacheConfig {
  /** Most entries kept; the least recently used go first. */
  maxEntries: number;
}

/** Creates an in-process cache bounded to `maxEntries` entries. */
export function createMemoryCache(config: MemoryCacheConfig): Cache {
  const settings = Object.freeze({ ...config });
  const entries = new LRUCache<string, string>({ max: settings.maxEntries });
  // Generations are not evicted: forgetting one would bring keys built with old generations back.
  const generations = new Map<string, number>();
  return {
    kind: 'memory',
    async get<T>(key: string) {
      const raw = entries.get(key);
      return raw === undefined ? undefined : (JSON.parse(raw) as T);
    },
    async set<T>(key: string, value: T, ttlMs: number) {
      const raw = JSON.stringify(value);
      if (raw === undefined) {
        entries.delete(key);
        return;
      }
      entries.set(key, raw, { ttl: Math.max(1, Math.ceil(ttlMs)) });
    },
    async delete(key: string) {
      entries.delete(key);
    },
    async bump(namespace: string) {
      const next = (generations.get(namespace) ?? 0) + 1;
      generations.set(namespace, next);
      return next;
    },
    async generation(namespace: string) {
      return generations.get(namespace) ?? 0;
    },
    async close() {
      entries.clear();
      generations.clear();
    },
  };
}
