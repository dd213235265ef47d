/**
 * Gathers the calls made in one turn of the event loop into one piece of work. The consumer
 * runner hands a per-event handler a read's events at once (up to its `concurrency`); each call
 * lands here, and one flush classifies and stores them together: one embed call and a few
 * multi-row statements per batch instead of per event, and no store transaction held open
 * across a provider call.
 */

interface Pending<T> {
  item: T;
  resolve: () => void;
  reject: (error: Error) => void;
}

/** Work over items: per item, null for success or the error that item failed with. */
export type BatchWork<T> = (items: T[], signal?: AbortSignal) => Promise<Array<Error | null>>;

export class MicroBatch<T> {
  #pending: Pending<T>[] = [];
  #signal: AbortSignal | undefined;
  #scheduled = false;

  constructor(private readonly work: BatchWork<T>, private readonly maxItems: number) {}

  /** Resolves when the item's batch succeeded for it; rejects with its error otherwise. */
  add(item: T, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#pending.push({ item, resolve, reject });
      this.#signal ??= signal;
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => this.#flush());
      }
    });
  }

  #flush(): void {
    this.#scheduled = false;
    const signal = this.#signal;
    this.#signal = undefined;
    while (this.#pending.length > 0) void this.#run(this.#pending.splice(0, this.maxItems), signal);
  }

  async #run(batch: Pending<T>[], signal: AbortSignal | undefined): Promise<void> {
    try {
      const outcomes = await this.work(batch.map((p) => p.item), signal);
      batch.forEach((p, i) => {
        const outcome = outcomes[i];
        if (outcome) p.reject(outcome);
        else p.resolve();
      });
    } catch (error) {
      const failure = error instanceof Error ? error : new Error(String(error));
      for (const p of batch) p.reject(failure);
    }
  }
}
