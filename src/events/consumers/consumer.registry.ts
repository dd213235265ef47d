import type { Logger } from '../../platform/logger.js';
import { anyTypeMatches } from '../../platform/patterns.js';
import type { LogEntry } from '../../ports/events.types.js';
import type { OrderingField, StoreTx } from '../../ports/store.port.js';

export interface ConsumerContext {
  /** 1 for the first delivery of an event, then counts retries. */
  attempt: number;
  logger: Logger;
  /** Aborted when the process shuts down past its grace period. */
  signal: AbortSignal;
}

/**
 * A named consumer of the event log. It reads the log from its own position (one per partition);
 * success advances the position per batch and writes nothing per event; only failures get rows
 * (failed → retried with backoff → dead; with `orderBy`, later events of the failing key are
 * parked behind it). `live` consumers (realtime fan-out) start at the head of the log and only
 * log their failures.
 *
 * A consumer has exactly one of:
 * - `handleBatch`: a transactional projection. Its writes through `tx` commit together with the
 *   new position, so its effect is exactly once (no per-event bookkeeping).
 * - `handle`: one event at a time, at least once (outside effects: HTTP, NATS, the search index);
 *   it must be idempotent by event id.
 *
 * Events are shared by every consumer of the process (one read of the log serves them all):
 * handlers must not change them.
 */
export interface ConsumerDefinition {
  name: string;
  description: string;
  /** Type patterns such as `*`, `article.*`, `order.placed`. */
  types: string[];
  /**
   * Runtime subscription: when given, called after each read of the log, and its patterns
   * replace `types` (a collection's sources, a tenant's webhook subscriptions). It must read
   * current state (not a cache older than the events it filters), or events are skipped.
   */
  subscription?: () => Promise<string[]>;
  delivery: 'durable' | 'live';
  /** Unordered consumers: events handled at once within a batch (default 8). */
  concurrency?: number;
  /**
   * Events with the same value of this field are handled one at a time, in log order; the
   * consumer is split into `partitions` (hash of the key), each with its own position.
   */
  orderBy?: OrderingField;
  /** Partitions of an ordered consumer (default 8; unordered consumers have one). */
  partitions?: number;
  /** Events read per batch (default 256). */
  batchSize?: number;
  /** Attempts before `dead` (default: CONSUMER_MAX_ATTEMPTS). */
  maxAttempts?: number;
  handle?(event: LogEntry, context: ConsumerContext): Promise<void>;
  handleBatch?(events: LogEntry[], tx: StoreTx, context: ConsumerContext): Promise<void>;
  /**
   * Projections whose handler is not idempotent (counts) or not order-free (merged traits)
   * declare how to clear one tenant's state: a replay of them is then a rebuild of the tenant
   * (cleared, then fed every event of the tenant up to the position it had), never a re-feed
   * of a selection on top of what they hold.
   */
  rebuildTenant?(tenantId: string, tx: StoreTx): Promise<void>;
}

const NAME = /^[a-z][a-z0-9-]{0,62}$/;

/** The consumers this server knows; features register theirs at start-up. */
export class ConsumerRegistry {
  readonly #consumers = new Map<string, ConsumerDefinition>();

  register(definition: ConsumerDefinition): void {
    if (!NAME.test(definition.name)) throw new Error(`consumer name ${definition.name} must match ${NAME}`);
    if ((definition.handle === undefined) === (definition.handleBatch === undefined)) {
      throw new Error(`consumer ${definition.name} needs exactly one of handle and handleBatch`);
    }
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

