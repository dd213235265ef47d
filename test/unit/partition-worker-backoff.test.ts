/**
 * A partition whose store calls fail backs off (pollMs × 2^failures, at most 5 s) instead of
 * trying again at once, even when a retry was due: a store outage must not become a busy loop.
 */
import { describe, expect, it } from 'vitest';
import { EventHandling } from '../../src/events/consumers/event-handling.js';
import { PartitionWorker } from '../../src/events/consumers/partition-worker.js';
import { createLogger } from '../../src/platform/logger.js';
import { createMetrics } from '../../src/platform/metrics.js';
import type { Store } from '../../src/ports/store.port.js';

describe('PartitionWorker during a store outage', () => {
  it('backs off between failing steps', async () => {
    let calls = 0;
    const down = async () => { calls += 1; throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }); };
    const store = {
      positions: { list: async () => [{ consumer: 'c', partition: 0, position: 0, owner: 'w', leaseUntil: null, updatedAt: 0 }] },
      failures: { blocking: async () => [], above: async () => [], due: down },
      replays: { active: down },
    } as unknown as Store;
    const logger = createLogger('silent', 'test');
    const handling = new EventHandling({ name: 'c', description: 'test', types: ['*'], delivery: 'durable', handle: async () => {} }, {
      store, logger, metrics: createMetrics(), retry: { maxAttempts: 3, backoffBaseMs: 10, backoffMaxMs: 20 }, signal: new AbortController().signal,
    });
    const worker = new PartitionWorker(0, {
      store, handling, owner: 'w', batchSize: 10, pollMs: 20, read: async () => [], types: async () => ['*'], onLost: () => {},
    });
    await worker.start();
    await new Promise((resolve) => setTimeout(resolve, 600));
    await worker.stop(0);
    // 20, 40, 80, 160, 320 ms apart: about 5 attempts in 600 ms (a busy loop makes thousands).
    expect(calls).toBeGreaterThanOrEqual(2);
    expect(calls).toBeLessThanOrEqual(8);
  });
});
