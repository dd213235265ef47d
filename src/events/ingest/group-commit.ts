/**
 * Group commit: appends requested in the same turn of the event loop (concurrent requests) are
 * written in one transaction, so a burst of single-event requests costs one commit, not one each.
 * Each caller still gets its own results, in order, and only after the shared commit.
 */
import type { NewEvent } from '../../ports/events.types.js';
import type { AppendResult, EventStore } from '../../ports/store.port.js';

interface Pending {
  events: NewEvent[];
  since: number;
  resolve: (results: AppendResult[]) => void;
  reject: (error: unknown) => void;
}

/** Most events written in one shared transaction; a bigger queue is split. */
const MAX_EVENTS_PER_COMMIT = 2_000;

export class GroupCommit {
  #queue: Pending[] = [];
  #scheduled = false;

  constructor(private readonly events: EventStore) {}

  append(events: NewEvent[], since: number): Promise<AppendResult[]> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ events, since, resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => void this.#flush());
      }
    });
  }

  async #flush(): Promise<void> {
    this.#scheduled = false;
    while (this.#queue.length > 0) {
      const group: Pending[] = [];
      let size = 0;
      while (this.#queue.length > 0 && (group.length === 0 || size + this.#queue[0]!.events.length <= MAX_EVENTS_PER_COMMIT)) {
        const next = this.#queue.shift()!;
        group.push(next);
        size += next.events.length;
      }
      await this.#commit(group);
    }
  }

  async #commit(group: Pending[]): Promise<void> {
    try {
      // The oldest window start of the group: a key is a duplicate if any caller would call it one.
      const since = Math.min(...group.map((p) => p.since));
      const results = await this.events.append(group.flatMap((p) => p.events), since);
      let offset = 0;
      for (const pending of group) {
        pending.resolve(results.slice(offset, offset + pending.events.length));
        offset += pending.events.length;
      }
    } catch (error) {
      for (const pending of group) pending.reject(error);
    }
  }
}
