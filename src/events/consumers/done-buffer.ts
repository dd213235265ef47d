/**
 * Marks deliveries done in batches: one UPDATE for many events instead of one each. A crash
 * before a flush only means those events are delivered again, which idempotent handlers absorb.
 */
import type { Logger } from '../../platform/logger.js';
import type { DeliveryStore } from '../../ports/store.port.js';

const MAX_BATCH = 256;

export class DoneBuffer {
  readonly #pending = new Map<string, string[]>();
  #scheduled: Promise<void> | null = null;

  constructor(private readonly deliveries: DeliveryStore, private readonly logger: Logger) {}

  /**
   * Records a done delivery. With `buffered` the write joins the next batch (the bus redelivers
   * from the Store if it is lost); without, it is written before returning (the bus acks after).
   */
  async add(consumer: string, eventId: string, buffered: boolean): Promise<void> {
    if (!buffered) return this.deliveries.markDone(consumer, [eventId], Date.now());
    const ids = this.#pending.get(consumer) ?? [];
    ids.push(eventId);
    this.#pending.set(consumer, ids);
    if (ids.length >= MAX_BATCH) return this.flush();
    this.#scheduled ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.flush());
    return this.#scheduled;
  }

  async flush(): Promise<void> {
    this.#scheduled = null;
    const batches = [...this.#pending];
    this.#pending.clear();
    for (const [consumer, ids] of batches) {
      try {
        await this.deliveries.markDone(consumer, ids, Date.now());
      } catch (error) {
        this.logger.error({ err: error, consumer, count: ids.length }, 'marking deliveries done failed; they will be redelivered');
      }
    }
  }
}
