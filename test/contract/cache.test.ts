import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { createMemoryCache } from '../../src/adapters/cache/memory/memory.cache.js';
import { createRedisCache } from '../../src/adapters/cache/redis/redis.cache.js';
import { redisUrl } from '../helpers/services.js';
import { describeCacheContract } from './cache.contract.js';

describeCacheContract('memory', async () => {
  const cache = createMemoryCache({ maxEntries: 1_000 });
  return { cache, teardown: () => cache.close() };
});

describeCacheContract('redis', async () => {
  const keyPrefix = `test:${randomBytes(4).toString('hex')}:`;
  const cache = createRedisCache({ url: redisUrl(), keyPrefix });
  return {
    cache,
    async teardown() {
      await cache.close();
      await deleteByPrefix(keyPrefix);
    },
  };
});

describe('memory cache', () => {
  it('evicts the least recently used entry beyond maxEntries, but never a generation', async () => {
    const cache = createMemoryCache({ maxEntries: 2 });
    await cache.bump('ns');
    await cache.set('a', 1, 10_000);
    await cache.set('b', 2, 10_000);
    await cache.get('a');
    await cache.set('c', 3, 10_000);
    expect(await cache.get('b')).toBeUndefined();
    expect(await cache.get('a')).toBe(1);
    expect(await cache.get('c')).toBe(3);
    expect(await cache.generation('ns')).toBe(1);
  });
});

describe('redis cache', () => {
  it('keeps keys under its prefix', async () => {
    const keyPrefix = `test:${randomBytes(4).toString('hex')}:`;
    const cache = createRedisCache({ url: redisUrl(), keyPrefix });
    try {
      await cache.set('k', { v: 1 }, 10_000);
      await cache.bump('ns');
      const redis = new Redis(redisUrl());
      const keys = await redis.keys(`${keyPrefix}*`);
      await redis.quit();
      expect(keys).toHaveLength(2);
    } finally {
      await cache.close();
      await deleteByPrefix(keyPrefix);
    }
  });

  it('fails fast with PROVIDER_UNAVAILABLE when Redis cannot be reached', async () => {
    const cache = createRedisCache({ url: 'redis://127.0.0.1:1', keyPrefix: 'x:', commandTimeoutMs: 300 });
    try {
      await expect(cache.get('k')).rejects.toMatchObject({ code: 'PROVIDER_UNAVAILABLE' });
    } finally {
      await cache.close();
    }
  });
});

async function deleteByPrefix(prefix: string): Promise<void> {
  const redis = new Redis(redisUrl());
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
}
