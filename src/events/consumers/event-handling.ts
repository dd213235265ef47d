/**
 * How one consumer handles events and what becomes of a failure: the handler call (a transaction
 * for projections), and the exception row a failure leaves (failed with a backoff, or dead).
 */
import { NonRetriableError, RetryAfterError, errorMessage } from '../../platform/errors.js';
import type { Logger } from '../../platform/logger.js';
import type { Metrics } from '../../platform/metrics.js';
import type { LogEntry } from '../../ports/events.types.js';
import type { FailureRecord, Store, StoreTx } from '../../ports/store.port.js';
import type { ConsumerDefinition } from './consumer.registry.js';
import { backoffDelay, orderingKeyOf, partitionOf, type RetryPolicy } from './partitions.js';

export interface HandlingDeps {
  store: Store;
  logger: Logger;
  metrics: Metrics;
  retry: RetryPolicy;
  signal: AbortSignal;
}

/** Thrown inside a projection's transaction when the worker lost its partition: the work rolls back. */
export class LeaseLostError extends Error {
  constructor(consumer: string, partition: number) {
    super(`${consumer} partition ${partition} is owned by another worker now`);
  }
}

export class EventHandling {
  readonly maxAttempts: number;
  /** The consumer's logger, made once (a pino child per batch showed in the ingest profile). */
  readonly #batchLogger: Logger;

  constructor(readonly consumer: ConsumerDefinition, private readonly deps: HandlingDeps) {
    this.maxAttempts = consumer.maxAttempts ?? deps.retry.maxAttempts;
    this.#batchLogger = deps.logger.child({ consumer: consumer.name });
  }

  get transactional(): boolean {
    return this.consumer.handleBatch !== undefined;
  }

  logger(event?: LogEntry): Logger {
    return event ? this.deps.logger.child({ consumer: this.consumer.name, eventId: event.id, tenantId: event.tenantId }) : this.deps.logger;
  }

  /** Runs a per-event handler, timing it. */
  async handleOne(event: LogEntry, attempt: number): Promise<void> {
    const started = performance.now();
    let child: Logger | undefined;
    const log = () => (child ??= this.logger(event));
    try {
      await this.consumer.handle!(event, { attempt, get logger() { return log(); }, signal: this.deps.signal });
      this.#observe('done', started);
    } catch (error) {
      this.#observe('failed', started);
      throw error;
    }
  }

  /** Runs a projection's batch handler inside `tx`. */
  async handleBatch(events: LogEntry[], tx: StoreTx, attempt: number): Promise<void> {
    if (events.length === 0) return;
    const started = performance.now();
    try {
      await this.consumer.handleBatch!(events, tx, { attempt, logger: this.#batchLogger, signal: this.deps.signal });
      this.#observe('done', started);
    } catch (error) {
      this.#observe('failed', started);
      throw error;
    }
  }

  /** The exception row of a failed attempt: failed with its next attempt, or dead. */
  failure(event: LogEntry, attempt: number, error: unknown, now: number): FailureRecord {
    const dead = error instanceof NonRetriableError || attempt >= this.maxAttempts;
    const delayMs = error instanceof RetryAfterError ? error.retryAfterMs : backoffDelay(attempt, this.deps.retry);
    this.deps.metrics.deliveryFailures.inc({ consumer: this.consumer.name, outcome: dead ? 'dead' : 'retry' });
    const log = this.logger(event);
    if (dead) log.warn({ err: error, attempt }, 'delivery is dead');
    else log.info({ err: error, attempt, delayMs }, 'delivery failed; will retry');
    return {
      ...this.rowOf(event, now), status: dead ? 'dead' : 'failed', attempts: attempt, lastError: errorMessage(error),
      nextAttemptAt: dead ? null : now + delayMs,
    };
  }

  /** A row for an event of a blocked key: it waits behind the failed one, in log order. */
  parked(event: LogEntry, now: number): FailureRecord {
    return { ...this.rowOf(event, now), status: 'parked', attempts: 0, lastError: null, nextAttemptAt: null };
  }

  rowOf(event: LogEntry, now: number): Omit<FailureRecord, 'status' | 'attempts' | 'lastError' | 'nextAttemptAt'> {
    return {
      consumer: this.consumer.name, eventId: event.id, tenantId: event.tenantId, seq: event.seq,
      partition: partitionOf(this.consumer, event), orderingKey: orderingKeyOf(this.consumer, event), updatedAt: now,
    };
  }

  #observe(outcome: 'done' | 'failed', started: number): void {
    this.deps.metrics.deliveryDuration.observe({ consumer: this.consumer.name, outcome }, (performance.now() - started) / 1000);
  }
}

/** Runs `work` over `items` with at most `limit` at once. */
export async function forEachLimited<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, lane));
}
