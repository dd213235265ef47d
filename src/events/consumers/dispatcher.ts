/**
 * Runs durable consumers: subscribes each to the bus, loads the event, calls the handler and
 * records the outcome (done, failed with a backoff, dead) in the Store.
 */
import { NonRetriableError, RetryAfterError, errorMessage } from '../../platform/errors.js';
import type { Logger } from '../../platform/logger.js';
import type { Metrics } from '../../platform/metrics.js';
import type { Bus, BusSubscription, DeliveryOutcome } from '../../ports/bus.port.js';
import type { BusMessage } from '../../ports/events.types.js';
import type { Store } from '../../ports/store.port.js';
import { DoneBuffer } from './done-buffer.js';
import { EventLoader } from './event-loader.js';
import type { ConsumerDefinition, ConsumerRegistry } from './consumer.registry.js';

export interface RetryPolicy {
  maxAttempts: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
}

export interface DispatcherDeps {
  store: Store;
  bus: Bus;
  registry: ConsumerRegistry;
  metrics: Metrics;
  logger: Logger;
  retry: RetryPolicy;
  /** Lease on a claimed delivery; a crashed process's claims are retried after it. */
  leaseMs: number;
}

/** Exponential backoff with full jitter in [delay/2, delay]. */
export function backoffDelay(attempt: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const exponential = Math.min(policy.backoffMaxMs, policy.backoffBaseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exponential / 2 + (random() * exponential) / 2);
}

export class Dispatcher {
  readonly #subscriptions: BusSubscription[] = [];
  readonly #abort = new AbortController();
  readonly #done: DoneBuffer;
  readonly #events: EventLoader;
  readonly #sweeps: NodeJS.Timeout[] = [];

  constructor(private readonly deps: DispatcherDeps) {
    this.#done = new DoneBuffer(deps.store.deliveries, deps.logger);
    this.#events = new EventLoader(deps.store.events);
  }

  /** Starts the named durable consumers (all when `names` is empty). */
  async start(names: string[] = []): Promise<void> {
    const unknown = names.filter((n) => !this.deps.registry.get(n));
    if (unknown.length > 0) throw new Error(`unknown consumers: ${unknown.join(', ')}`);
    const chosen = this.deps.registry.durable().filter((c) => names.length === 0 || names.includes(c.name));
    for (const consumer of chosen) {
      const maxAttempts = consumer.maxAttempts ?? this.deps.retry.maxAttempts;
      const subscription = await this.deps.bus.subscribe(
        { consumer: consumer.name, types: consumer.types, concurrency: consumer.concurrency ?? 8, ordered: consumer.orderBy !== undefined, maxAttempts },
        (message, attempt) => this.#deliver(consumer, message, attempt, maxAttempts),
      );
      this.#subscriptions.push(subscription);
      if (!this.deps.bus.claimsInStore) this.#sweepExhausted(consumer.name, maxAttempts);
    }
  }

  /**
   * A bus that redelivers on its own (JetStream) stops after the last attempt, so a process dying
   * during that attempt would leave the delivery `processing` for ever; a periodic sweep marks it dead.
   */
  #sweepExhausted(consumer: string, maxAttempts: number): void {
    const timer = setInterval(() => {
      this.deps.store.deliveries.deadExhausted(consumer, maxAttempts, Date.now())
        .then((count) => { if (count > 0) this.deps.logger.warn({ consumer, count }, 'deliveries died with their last attempt'); })
        .catch((error: unknown) => this.deps.logger.warn({ err: error, consumer }, 'sweeping exhausted deliveries failed'));
    }, Math.max(1_000, this.deps.leaseMs));
    timer.unref();
    this.#sweeps.push(timer);
  }

  /** Stops taking work, lets in-flight deliveries finish within the grace period, hands back the rest. */
  async stop(graceMs: number): Promise<void> {
    for (const timer of this.#sweeps.splice(0)) clearInterval(timer);
    await Promise.all(this.#subscriptions.splice(0).map((s) => s.stop(graceMs)));
    this.#abort.abort();
    await this.#done.flush();
  }

  async #deliver(consumer: ConsumerDefinition, message: BusMessage, attemptFromBus: number, maxAttempts: number): Promise<DeliveryOutcome> {
    const { store, logger } = this.deps;
    let attempt = attemptFromBus;
    if (!this.deps.bus.claimsInStore) {
      const begun = await store.deliveries.begin(consumer.name, message.eventId, message.tenantId, Date.now(), this.deps.leaseMs);
      if (begun === null) return { kind: 'done' }; // already applied (redelivery after a crash)
      attempt = Math.max(attempt, begun);
    }
    const event = await this.#events.load(message.tenantId, message.eventId);
    if (!event) {
      await store.deliveries.markDead(consumer.name, message.eventId, 'event not found in the log', Date.now());
      return { kind: 'dead' };
    }
    // The child logger is made only when a handler logs: most deliveries never do.
    let child: Logger | undefined;
    const log = () => (child ??= logger.child({ consumer: consumer.name, eventId: event.id, tenantId: event.tenantId }));
    const started = performance.now();
    try {
      await consumer.handle!({ ...event, seq: 0 }, { attempt, get logger() { return log(); }, signal: this.#abort.signal });
      this.deps.metrics.deliveryDuration.observe({ consumer: consumer.name, outcome: 'done' }, (performance.now() - started) / 1000);
      await this.#done.add(consumer.name, event.id, this.deps.bus.claimsInStore);
      return { kind: 'done' };
    } catch (error) {
      this.deps.metrics.deliveryDuration.observe({ consumer: consumer.name, outcome: 'failed' }, (performance.now() - started) / 1000);
      return this.#failed(consumer.name, event.id, attempt, maxAttempts, error, log());
    }
  }

  async #failed(consumer: string, eventId: string, attempt: number, maxAttempts: number, error: unknown, log: Logger): Promise<DeliveryOutcome> {
    const now = Date.now();
    const message = errorMessage(error);
    if (error instanceof NonRetriableError || attempt >= maxAttempts) {
      await this.deps.store.deliveries.markDead(consumer, eventId, message, now);
      this.deps.metrics.deliveryFailures.inc({ consumer, outcome: 'dead' });
      log.warn({ err: error, attempt }, 'delivery is dead');
      return { kind: 'dead' };
    }
    const delayMs = error instanceof RetryAfterError ? error.retryAfterMs : backoffDelay(attempt, this.deps.retry);
    await this.deps.store.deliveries.markFailed(consumer, eventId, message, now + delayMs, now);
    this.deps.metrics.deliveryFailures.inc({ consumer, outcome: 'retry' });
    log.info({ err: error, attempt, delayMs }, 'delivery failed; will retry');
    return { kind: 'retry', delayMs };
  }
}
