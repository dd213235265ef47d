/**
 * Replay: re-delivers a selection of a tenant's events to one consumer (e.g. to rebuild an index).
 * Deliveries are reset to pending in the Store; a bus that does not read the Store (NATS) is
 * also handed the events again, addressed to that consumer alone.
 */
import { AppError } from '../platform/errors.js';
import type { Bus } from '../ports/bus.port.js';
import type { EventSelection } from '../ports/events.types.js';
import type { Store } from '../ports/store.port.js';
import type { ConsumerDefinition, ConsumerRegistry } from './consumers/consumer.registry.js';

const PAGE = 1000;

export class ReplayService {
  constructor(private readonly store: Store, private readonly bus: Bus, private readonly registry: ConsumerRegistry) {}

  durableConsumer(name: string): ConsumerDefinition {
    const consumer = this.registry.get(name);
    if (!consumer) throw new AppError('CONSUMER_UNKNOWN', { detail: `no consumer named ${name}` });
    if (consumer.delivery !== 'durable') {
      throw new AppError('VALIDATION_FAILED', { detail: `${name} is a live consumer: it has no deliveries to replay` });
    }
    return consumer;
  }

  /** Counts what a replay would select, without changing anything. */
  async count(tenantId: string, name: string, selection: EventSelection): Promise<number> {
    this.durableConsumer(name);
    return this.store.events.count(tenantId, selection);
  }

  async replay(tenantId: string, name: string, selection: EventSelection): Promise<number> {
    const consumer = this.durableConsumer(name);
    const count = await this.store.deliveries.replay(tenantId, name, selection, consumer.orderBy ?? null, Date.now());
    await this.#republish(tenantId, name);
    return count;
  }

  async retryDead(tenantId: string, name: string): Promise<number> {
    this.durableConsumer(name);
    const count = await this.store.deliveries.retryDead(tenantId, name, Date.now());
    await this.#republish(tenantId, name);
    return count;
  }

  async #republish(tenantId: string, consumer: string): Promise<void> {
    if (this.bus.claimsInStore) {
      await this.bus.publish([]); // wakes the in-process consumers
      return;
    }
    let after: string | null = null;
    for (;;) {
      const ids = await this.store.deliveries.pendingIds(tenantId, consumer, after, PAGE);
      if (ids.length === 0) return;
      const events = await this.store.events.getMany(ids);
      await this.bus.publish(events.map((e) => ({ eventId: e.id, tenantId, type: e.type, orderingKey: e.userId, target: consumer })));
      after = ids.at(-1)!;
    }
  }
}
