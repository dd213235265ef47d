/** A small key-value cache with TTLs and namespace invalidation (memory or Redis). */
export interface Cache {
  readonly kind: 'memory' | 'redis';
  get<T>(key: string): Promise<T | undefined>;
  set<T>(key: string, value: T, ttlMs: number): Promise<void>;
  delete(key: string): Promise<void>;
  /** Increments a namespace's generation so every key built with the old one is stale. */
  bump(namespace: string): Promise<number>;
  /** Current generation of a namespace (0 when never bumped). */
  generation(namespace: string): Promise<number>;
  close(): Promise<void>;
}
