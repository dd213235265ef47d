/** Chooses the adapter behind each port from configuration alone. */
import { join } from 'node:path';
import type { Config } from './config.js';
import { createLocalBroadcast } from './adapters/bus/local/local.broadcast.js';
import { createLocalBus } from './adapters/bus/local/local.bus.js';
import { createPostgresStore } from './adapters/sql/postgres.store.js';
import { createSqliteStore } from './adapters/sql/sqlite.store.js';
import type { SqlStore } from './adapters/sql/sql-store.js';
import type { Logger } from './platform/logger.js';
import type { Broadcast, Bus } from './ports/bus.port.js';

export interface Backends {
  store: SqlStore;
  bus: Bus;
  broadcast: Broadcast;
  /** The ioredis client when REDIS_URL is set (rate limits, cache). */
  redis: unknown;
  /** Wakes in-process consumers after a relay (no-op for remote buses). */
  wakeConsumers(): void;
  close(): Promise<void>;
}

export async function createBackends(config: Config, logger: Logger): Promise<Backends> {
  const store = config.DATABASE_URL
    ? createPostgresStore({ connectionString: config.DATABASE_URL })
    : createSqliteStore({ filename: join(config.DATA_DIR, 'eventrag.db') });
  const bus = createLocalBus({ deliveries: store.deliveries, pollMs: config.CONSUMER_POLL_MS, leaseMs: config.CONSUMER_LEASE_MS, logger: logger.child({ component: 'bus' }) });
  const broadcast = createLocalBroadcast();
  await bus.init();
  return {
    store,
    bus,
    broadcast,
    redis: null,
    wakeConsumers: () => bus.wake(),
    async close() {
      await bus.close();
      await broadcast.close();
      await store.close();
    },
  };
}
