/**
 * The log entries this process appended last, so that its consumers, which read right behind the
 * appends, get them without a query (and without parsing their JSON once more). `readAfter`
 * serves from here only a run of consecutive positions starting right after the reader's
 * position; where another process appended in between (a gap in what is held here) it reads the
 * store. Entries go in only after their transaction committed, so nothing uncommitted is served.
 * Bounded in entries and bytes; the oldest go first.
 *
 * Events are never deleted from the log today; whatever deletes some must `clear()` this.
 */
import type { LogEntry } from '../../ports/events.types.js';

const MAX_ENTRIES = 8_192;
const MAX_BYTES = 16 * 1024 * 1024;

export class RecentAppends {
  readonly #bySeq = new Map<number, { entry: LogEntry; bytes: number }>();
  /** Positions in the order they were added (ascending within one process). */
  readonly #order: number[] = [];
  #head = 0;
  #bytes = 0;

  /** Committed entries with the size of their stored row (its JSON text), in position order. */
  add(entries: Array<{ entry: LogEntry; bytes: number }>): void {
    for (const item of entries) {
      if (this.#bySeq.has(item.entry.seq)) continue;
      this.#bySeq.set(item.entry.seq, item);
      this.#order.push(item.entry.seq);
      this.#bytes += item.bytes;
    }
    while (this.#order.length - this.#head > MAX_ENTRIES || (this.#bytes > MAX_BYTES && this.#order.length - this.#head > 1)) {
      const seq = this.#order[this.#head++]!;
      this.#bytes -= this.#bySeq.get(seq)?.bytes ?? 0;
      this.#bySeq.delete(seq);
    }
    // Compact the order list now and then rather than shifting it each time.
    if (this.#head > 4_096) { this.#order.splice(0, this.#head); this.#head = 0; }
  }

  /** Entries at after+1, after+2, … as long as each is held, at most `limit`; empty when after+1 is not. */
  after(after: number, limit: number): LogEntry[] {
    const run: LogEntry[] = [];
    for (let seq = after + 1; run.length < limit; seq += 1) {
      const item = this.#bySeq.get(seq);
      if (!item) break;
      run.push(item.entry);
    }
    return run;
  }

  clear(): void {
    this.#bySeq.clear();
    this.#order.length = 0;
    this.#head = 0;
    this.#bytes = 0;
  }
}
