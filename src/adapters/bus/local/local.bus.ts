/**
 * The in-process bus of the embedded shape. The Store's delivery table is the queue: the relay
 * writes pending deliveries, and each subscription claims due ones (pending, retries whose time
 * has come, expired leases) in batches. Nothing is lost on a crash: claims expire and are retried.
 */
import type { Logger } from '../../../platform/logger.js';
import type { Bus, BusSubscription, MessageHandler, SubscriptionSpec } from '../../../ports/bus.port.js';
import type { DeliveryStore } from '../../../ports/store.port.js';

export interface LocalBusConfig {
  deliveries: DeliveryStore;
  /** How often an idle subscription looks for due retries. */
  pollMs: number;
  /** How long a claim lasts before another claimer may take the delivery again. */
  leaseMs: number;
  logger: Logger;
}

export interface LocalBus extends Bus {
  /** Wakes idle subscriptions: new deliveries are in the store. */
  wake(): void;
}

export function createLocalBus(config: LocalBusConfig): LocalBus {
  const wakers = new Set<() => void>();
  const wake = () => { for (const w of wakers) w(); };
  return {
    kind: 'local',
    claimsInStore: true,
    async init() {},
    async close() { wakers.clear(); },
    // The relay creates the deliveries after publishing and then calls wake(): waking here would
    // only claim before they exist.
    async publish() {},
    async ready() { return { ok: true }; },
    wake,
    async subscribe(spec, handler) {
      const loop = new SubscriptionLoop(config, spec, handler);
      wakers.add(loop.wake);
      loop.start();
      return {
        async stop(graceMs) {
          wakers.delete(loop.wake);
          await loop.stop(graceMs);
        },
      } satisfies BusSubscription;
    },
  };
}

class SubscriptionLoop {
  readonly #inflight = new Map<string, Promise<void>>();
  #running = false;
  #timer: NodeJS.Timeout | undefined;
  #pumping = false;
  #again = false;
  /** The last claim took as many as there was room for: more may be due when a slot frees up. */
  #saturated = false;

  constructor(
    private readonly config: LocalBusConfig,
    private readonly spec: SubscriptionSpec,
    private readonly handler: MessageHandler,
  ) {}

  readonly wake = (): void => {
    if (!this.#running) return;
    if (this.#pumping) { this.#again = true; return; }
    void this.#pump();
  };

  start(): void {
    this.#running = true;
    this.wake();
  }

  async stop(graceMs: number): Promise<void> {
    this.#running = false;
    clearTimeout(this.#timer);
    const inflight = [...this.#inflight.values()];
    const grace = new Promise<void>((resolve) => setTimeout(resolve, graceMs).unref());
    await Promise.race([Promise.allSettled(inflight), grace]);
    const unfinished = [...this.#inflight.keys()];
    if (unfinished.length > 0) await this.config.deliveries.release(this.spec.consumer, unfinished, Date.now());
  }

  async #pump(): Promise<void> {
    this.#pumping = true;
    clearTimeout(this.#timer);
    try {
      do {
        this.#again = false;
        const free = this.spec.concurrency - this.#inflight.size;
        if (free <= 0 || !this.#running) break;
        const claimed = await this.config.deliveries.claimDue(
          this.spec.consumer, Math.min(free, 256), Date.now(), this.config.leaseMs, this.spec.ordered,
        );
        for (const delivery of claimed) this.#run(delivery.eventId, delivery.tenantId, delivery.attempts, delivery.orderingKey);
        this.#saturated = claimed.length === Math.min(free, 256);
        if (claimed.length === free) this.#again = true;
      } while (this.#again && this.#running);
    } catch (error) {
      this.config.logger.error({ err: error, consumer: this.spec.consumer }, 'claiming deliveries failed');
    } finally {
      this.#pumping = false;
      if (this.#running) this.#timer = setTimeout(this.wake, this.config.pollMs);
    }
  }

  #run(eventId: string, tenantId: string, attempt: number, orderingKey: string | null): void {
    const task = this.handler({ eventId, tenantId, type: '', orderingKey }, attempt)
      .then(() => undefined, (error: unknown) => {
        this.config.logger.error({ err: error, eventId, consumer: this.spec.consumer }, 'delivery handler crashed');
      })
      .finally(() => {
        this.#inflight.delete(eventId);
        // New deliveries wake the loop themselves and retries come with the poll: a finished
        // delivery only needs a claim when the last one was cut short by the concurrency limit,
        // or when ordering held back the next delivery for its key.
        if (this.#saturated || this.spec.ordered) this.wake();
      });
    this.#inflight.set(eventId, task);
  }
}
