/**
 * Loads events for deliveries claimed together with one query instead of one per delivery:
 * requests made in the same turn of the event loop are answered by a single `getMany`.
 */
import type { EventRecord } from '../../ports/events.types.js';
import type { EventStore } from '../../ports/store.port.js';

interface Waiter { tenantId: string; resolve: (event: EventRecord | undefined) => void; reject: (error: unknown) => void }

export class EventLoader {
  #waiting = new Map<string, Waiter[]>();
  #scheduled = false;

  constructor(private readonly events: EventStore) {}

  /** The event with this id in this tenant, or undefined. A store error rejects (the delivery is retried). */
  load(tenantId: string, id: string): Promise<EventRecord | undefined> {
    return new Promise((resolve, reject) => {
      this.#waiting.set(id, [...(this.#waiting.get(id) ?? []), { tenantId, resolve, reject }]);
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => void this.#flush());
      }
    });
  }

  async #flush(): Promise<void> {
    this.#scheduled = false;
    const waiting = this.#waiting;
    this.#waiting = new Map();
    try {
      const found = new Map((await this.events.getMany([...waiting.keys()])).map((e) => [e.id, e]));
      for (const [id, waiters] of waiting) {
        const event = found.get(id);
        for (const w of waiters) w.resolve(event && event.tenantId === w.tenantId ? event : undefined);
      }
    } catch (error) {
      for (const waiters of waiting.values()) for (const w of waiters) w.reject(error);
    }
  }
}
