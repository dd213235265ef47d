/**
 * The outbox relay: moves committed events from the outbox to the bus, creating one pending
 * delivery per durable consumer that wants the event, then hands each event to live consumers.
 * If the bus is down the outbox keeps the events and the relay retries; ingest is unaffected.
 */
import type { Logger } from '../platform/logger.js';
import { anyTypeMatches } from '../platform/patterns.js';
import type { Bus } from '../ports/bus.port.js';
import type { BusMessage } from '../ports/events.types.js';
import type { Store } from '../ports/store.port.js';
import { orderingKeyOf, type ConsumerRegistry } from './consumers/consumer.registry.js';

export interface RelayDeps {
  store: Store;
  bus: Bus;
  registry: ConsumerRegistry;
  logger: Logger;
  batchSize: number;
  /** Idle poll interval: other processes may write to a shared outbox. */
  pollMs: number;
  /** Called after each relayed batch (the in-process bus wakes its consumers). */
  onRelayed?: () => void;
}

/** Longest wait between two relay attempts while the bus (or store) fails. */
const MAX_BACKOFF_MS = 5_000;
/** While failing, one warning per this interval (ingest keeps waking the relay). */
const WARN_EVERY_MS = 30_000;

export class Relay {
  #running = false;
  #pumping = false;
  #again = false;
  #timer: NodeJS.Timeout | undefined;
  #failures = 0;
  #lastWarnAt = 0;
  #idle: Promise<void> = Promise.resolve();

  constructor(private readonly deps: RelayDeps) {}

  start(): void {
    this.#running = true;
    this.wake();
  }

  /** Stops after the batch in progress. */
  async stop(): Promise<void> {
    this.#running = false;
    clearTimeout(this.#timer);
    await this.#idle;
  }

  /** Something was appended: relay it now (while the bus is failing, the pending retry picks it up). */
  readonly wake = (): void => {
    if (!this.#running || this.#failures > 0) return;
    this.#run();
  };

  #run(): void {
    if (this.#pumping) { this.#again = true; return; }
    this.#idle = this.#pump();
  }

  async #pump(): Promise<void> {
    this.#pumping = true;
    clearTimeout(this.#timer);
    try {
      do {
        this.#again = false;
        const moved = await this.relayOnce();
        if (moved === this.deps.batchSize) this.#again = true;
      } while (this.#again && this.#running);
      if (this.#failures > 0) this.deps.logger.info({ failedAttempts: this.#failures }, 'relay resumed; the outbox is draining');
      this.#failures = 0;
      this.#pumping = false;
      if (this.#running) this.#timer = setTimeout(this.wake, this.deps.pollMs);
    } catch (error) {
      this.#failures += 1;
      const delay = Math.min(MAX_BACKOFF_MS, 100 * 2 ** Math.min(this.#failures, 8));
      if (Date.now() - this.#lastWarnAt >= WARN_EVERY_MS) {
        this.#lastWarnAt = Date.now();
        this.deps.logger.warn({ err: error, failedAttempts: this.#failures, retryInMs: delay }, 'relay could not publish; events stay in the outbox');
      }
      this.#pumping = false;
      if (this.#running) this.#retryAfter(delay);
    }
  }

  /** Retries when the backoff ran out, or sooner once the bus says it is back. */
  #retryAfter(delayMs: number): void {
    const retryAt = Date.now() + delayMs;
    const tick = async (): Promise<void> => {
      if (!this.#running) return;
      const busBack = await this.deps.bus.ready().then((r) => r.ok, () => false);
      if (!this.#running) return;
      if (busBack || Date.now() >= retryAt) this.#run();
      else this.#timer = setTimeout(() => { this.#idle = tick(); }, Math.max(10, Math.min(this.deps.pollMs, retryAt - Date.now())));
    };
    this.#timer = setTimeout(() => { this.#idle = tick(); }, Math.min(this.deps.pollMs, delayMs));
  }

  /** Relays one batch; returns how many outbox rows it moved. */
  async relayOnce(): Promise<number> {
    const { store, bus, registry } = this.deps;
    const rows = await store.outbox.peek(this.deps.batchSize);
    if (rows.length === 0) return 0;
    const events = (await store.events.getMany(rows.map((r) => r.eventId))).sort((a, b) => (a.id < b.id ? -1 : 1));
    const messages: BusMessage[] = [];
    const deliveries = [];
    for (const event of events) {
      const consumers = registry.durableFor(event.type);
      if (consumers.length === 0) continue;
      messages.push({ eventId: event.id, tenantId: event.tenantId, type: event.type, orderingKey: event.userId });
      for (const consumer of consumers) {
        deliveries.push({ eventId: event.id, consumer: consumer.name, tenantId: event.tenantId, orderingKey: orderingKeyOf(consumer, event) });
      }
    }
    if (messages.length > 0) await bus.publish(messages);
    await store.outbox.relayed(rows.map((r) => r.seq), deliveries);
    this.deps.onRelayed?.();
    this.#handLive(events);
    return rows.length;
  }

  #handLive(events: Awaited<ReturnType<Store['events']['getMany']>>): void {
    const live = this.deps.registry.live();
    if (live.length === 0 || events.length === 0) return;
    const signal = AbortSignal.timeout(5_000); // one timer per batch, not one per event (it showed in profiles)
    for (const consumer of live) {
      for (const event of events) {
        if (!anyTypeMatches(consumer.types, event.type)) continue;
        consumer.handle!({ ...event, seq: 0 }, { attempt: 1, logger: this.deps.logger, signal })
          .catch((error: unknown) => this.deps.logger.warn({ err: error, consumer: consumer.name, eventId: event.id }, 'live consumer failed'));
      }
    }
  }
}
