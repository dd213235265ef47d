import type { Logger } from '../../platform/logger.js';
import { anyTypeMatches } from '../../platform/patterns.js';
import type { EventRecord } from '../../ports/events.types.js';
import type { OrderingField } from '../../ports/store.port.js';

export interface ConsumerContext {
  attempt: number;
  logger: Logger;
  /** Aborted when the process shuts down past its grace period. */
  signal: AbortSignal;
}

/**
 * A named consumer of the event log. `durable` consumers get a delivery row per event (retries,
 * replay, dead letters); `live` consumers (realtime) see each event once, right after it is relayed.
 * Handlers must be idempotent: delivery is at least once.
 */
export interface ConsumerDefinition {
  name: string;
  description: string;
  /** Type patterns such as `*`, `article.*`, `order.placed`. */
  types: string[];
  delivery: 'durable' | 'live';
  /** Events handled at once per process (default 8). */
  concurrency?: number;
  /** Events with the same value of this field are handled one at a time, in log order. */
  orderBy?: OrderingField;
  /** Attempts before `dead` (default: CONSUMER_MAX_ATTEMPTS). */
  maxAttempts?: number;
  handle(event: EventRecord, context: ConsumerContext): Promise<void>;
}

const NAME = /^[a-z][a-z0-9-]{0,62}$/;

/** The consumers this server knows; features register theirs at start-up. */
export class ConsumerRegistry {
  readonly #consumers = new Map<string, ConsumerDefinition>();

  register(definition: ConsumerDefinition): void {
    if (!NAME.test(definition.name)) throw new Error(`consumer name ${definition.name} must match ${NAME}`);
    if (this.#consumers.has(definition.name)) throw new Error(`consumer ${definition.name} is already registered`);
    this.#consumers.set(definition.name, definition);
  }

  get(name: string): ConsumerDefinition | undefined {
    return this.#consumers.get(name);
  }

  list(): ConsumerDefinition[] {
    return [...this.#consumers.values()];
  }

  durable(): ConsumerDefinition[] {
    return this.list().filter((c) => c.delivery === 'durable');
  }

  live(): ConsumerDefinition[] {
    return this.list().filter((c) => c.delivery === 'live');
  }

  /** Durable consumers that want an event of this type. */
  durableFor(type: string): ConsumerDefinition[] {
    return this.durable().filter((c) => anyTypeMatches(c.types, type));
  }
}

export function orderingKeyOf(consumer: ConsumerDefinition, event: Pick<EventRecord, 'userId' | 'sessionId' | 'subject'>): string | null {
  return consumer.orderBy ? (event[consumer.orderBy] ?? null) : null;
}
