/** The Cache contract: every Cache adapter (memory, Redis) must pass it. */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Cache } from '../../src/ports/cache.port.js';

export interface CacheHarness {
  cache: Cache;
  teardown(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function describeCacheContract(name: string, factory: () => Promise<CacheHarness>): void {
  describe(`Cache contract: ${name}`, () => {
    let harness: CacheHarness | undefined;
    const cache = () => harness!.cache;
    const key = (label: string) => `${label}:${randomBytes(4).toString('hex')}`;

    beforeAll(async () => {
      harness = await factory();
    });
    afterAll(async () => {
      await harness?.teardown();
    });

    it('returns undefined for a missing key and JSON values as set', async () => {
      const k = key('value');
      expect(await cache().get(k)).toBeUndefined();
      const value = { a: 1, list: [1, 'two', null], nested: { ok: true }, text: 'Grüße ✓' };
      await cache().set(k, value, 10_000);
      expect(await cache().get(k)).toEqual(value);
      await cache().set(k, 42, 10_000);
      expect(await cache().get<number>(k)).toBe(42);
      await cache().set(k, 'plain', 10_000);
      expect(await cache().get<string>(k)).toBe('plain');
      await cache().set(k, null, 10_000);
      expect(await cache().get(k)).toBeNull();
    });

    it('gives copies: mutating a value after set or get does not change the cache', async () => {
      const k = key('copy');
      const value = { list: [1] };
      await cache().set(k, value, 10_000);
      value.list.push(2);
      const read = await cache().get<{ list: number[] }>(k);
      read!.list.push(3);
      expect(await cache().get(k)).toEqual({ list: [1] });
    });

    it('expires entries after their TTL', async () => {
      const k = key('ttl');
      await cache().set(k, 'short', 80);
      await cache().set(`${k}:long`, 'long', 10_000);
      expect(await cache().get(k)).toBe('short');
      await sleep(200);
      expect(await cache().get(k)).toBeUndefined();
      expect(await cache().get(`${k}:long`)).toBe('long');
    });

    it('deletes keys (also missing ones)', async () => {
      const k = key('delete');
      await cache().set(k, 1, 10_000);
      await cache().delete(k);
      await cache().delete(k);
      expect(await cache().get(k)).toBeUndefined();
    });

    it('bumps namespace generations, one namespace at a time', async () => {
      const ns = key('ns');
      const other = key('ns');
      expect(await cache().generation(ns)).toBe(0);
      expect(await cache().bump(ns)).toBe(1);
      expect(await cache().bump(ns)).toBe(2);
      expect(await cache().generation(ns)).toBe(2);
      expect(await cache().generation(other)).toBe(0);
    });

    it('counts concurrent bumps exactly', async () => {
      const ns = key('race');
      const results = await Promise.all(Array.from({ length: 20 }, () => cache().bump(ns)));
      expect([...results].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      expect(await cache().generation(ns)).toBe(20);
    });

    it('makes keys built with an old generation unreachable', async () => {
      const ns = key('tenant');
      const build = async (q: string) => `${ns}:${await cache().generation(ns)}:${q}`;
      await cache().set(await build('q'), 'cached answer', 10_000);
      expect(await cache().get(await build('q'))).toBe('cached answer');
      await cache().bump(ns);
      expect(await cache().get(await build('q'))).toBeUndefined();
    });
  });
}
