/**
 * A cache in front of any embedder, keyed by a SHA-256 of (model, purpose, text): re-indexing
 * unchanged text and repeated queries cost nothing. In-process LRU (lru-cache), bounded by count.
 */
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { EmbedParams, Embedder } from '../../ports/embedder.port.js';

export interface EmbeddingCacheOptions {
  /** Most vectors kept (default 20,000). */
  max?: number;
}

export function contentKey(model: string, purpose: string, text: string): string {
  return createHash('sha256').update(model).update('\u0000').update(purpose).update('\u0000').update(text).digest('base64url');
}

/** Wraps `embedder`; only cache misses are sent on, in one call, in order. */
export function withEmbeddingCache(embedder: Embedder, options: EmbeddingCacheOptions = {}): Embedder & { readonly cacheSize: number } {
  const cache = new LRUCache<string, Float32Array>({ max: options.max ?? 20_000 });
  return {
    kind: embedder.kind,
    get model() {
      return embedder.model;
    },
    get dimension() {
      return embedder.dimension;
    },
    get cacheSize() {
      return cache.size;
    },
    init: () => embedder.init(),
    close: () => embedder.close(),
    async embed({ texts, purpose, signal }: EmbedParams) {
      const keys = texts.map((text) => contentKey(embedder.model, purpose, text));
      const result = keys.map((key) => cache.get(key));
      const missing = [...new Set(keys.filter((_, i) => result[i] === undefined))];
      const fetched = new Map<string, Float32Array>();
      if (missing.length > 0) {
        const missingTexts = missing.map((key) => texts[keys.indexOf(key)]!);
        const vectors = await embedder.embed({ texts: missingTexts, purpose, ...(signal ? { signal } : {}) });
        missing.forEach((key, i) => {
          fetched.set(key, vectors[i]!);
          cache.set(key, vectors[i]!);
        });
      }
      return keys.map((key, i) => result[i] ?? fetched.get(key)!);
    },
  };
}
