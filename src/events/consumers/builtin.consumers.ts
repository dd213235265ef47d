/**
 * Consumers the event backbone brings itself: `realtime` (live fan-out to streams) and `stats`
 * (event counts per tenant, type and hour, applied exactly once per event).
 */
import type { EventStatsStore } from '../../ports/store.port.js';
import type { EventRecord } from '../../ports/events.types.js';
import type { RealtimeHub } from '../realtime/realtime.hub.js';
import type { ConsumerDefinition } from './consumer.registry.js';

export function realtimeConsumer(hub: RealtimeHub): ConsumerDefinition {
  return {
    name: 'realtime',
    description: 'Pushes every event to SSE and WebSocket clients',
    types: ['*'],
    delivery: 'live',
    handle: (event) => hub.publish(event),
  };
}

/** Groups the counts of events delivered close together into one transaction. */
class CountBatcher {
  #batch: Array<{ event: EventRecord; settle: { resolve: () => void; reject: (e: unknown) => void } }> = [];
  #scheduled = false;

  constructor(private readonly stats: EventStatsStore, private readonly consumer: string) {}

  add(event: EventRecord): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#batch.push({ event, settle: { resolve, reject } });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => void this.#flush());
      }
    });
  }

  async #flush(): Promise<void> {
    const batch = this.#batch;
    this.#batch = [];
    this.#scheduled = false;
    try {
      await this.stats.countOnce(this.consumer, batch.map((b) => b.event));
      for (const b of batch) b.settle.resolve();
    } catch (error) {
      for (const b of batch) b.settle.reject(error);
    }
  }
}

export function statsConsumer(stats: EventStatsStore): ConsumerDefinition {
  const batcher = new CountBatcher(stats, 'stats');
  return {
    name: 'stats',
    description: 'Counts events per tenant, type and hour (GET /v1/events/stats)',
    types: ['*'],
    delivery: 'durable',
    concurrency: 256,
    handle: (event) => batcher.add(event),
  };
}
