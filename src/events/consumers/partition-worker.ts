/**
 * Runs one partition of one consumer in this process, while this process holds its lease:
 * reads the log after the partition's position, hands the partition's events to the consumer,
 * and advances the position per batch (for projections in the same transaction as their
 * writes). A failing event becomes an exception row; with an ordering key, the key's later
 * events are parked behind it (the rest of the partition goes on) and run in order once it
 * succeeds or dies. Due retries and replay cursors are worked in the same loop.
 */
import { errorMessage } from '../../platform/errors.js';
import { anyTypeMatches } from '../../platform/patterns.js';
import type { LogEntry } from '../../ports/events.types.js';
import type { FailureRecord, FailureStatus, ReplayCursor, Store, StoreTx } from '../../ports/store.port.js';
import { EventHandling, forEachLimited, LeaseLostError } from './event-handling.js';
import { orderingKeyOf, partitionOf } from './partitions.js';

export interface PartitionWorkerDeps {
  store: Store;
  handling: EventHandling;
  owner: string;
  batchSize: number;
  pollMs: number;
  /** The log after a position (shared by the partitions of one consumer in this process). */
  read(after: number): Promise<LogEntry[]>;
  /** The consumer's type patterns now (read after the events they filter). */
  types(): Promise<string[]>;
  /** Told when another worker took the partition. */
  onLost(partition: number): void;
}

/** A position not yet written is written at the latest after this long (events of other partitions only). */
const LAZY_ADVANCE_MS = 1_000;
const RETRIES_PER_STEP = 32;
/** Exception rows above the position (carried over from the previous release) loaded at once, to be skipped. */
const CARRIED_PAGE = 10_000;

export class PartitionWorker {
  #position = 0;
  #written = 0;
  #writtenAt = 0;
  /** Ordering keys with a failed or parked event: their later events wait behind it. */
  readonly #blocked = new Set<string>();
  readonly #carried = new Set<string>();
  /** Seq up to which `#carried` is complete (a full page may have left more above it). */
  #carriedUpTo = Infinity;
  #running = false;
  /** Set when the store no longer gives this worker its partition: it may not move the position again. */
  #revoked = false;
  #pumping = false;
  #again = false;
  #failures = 0;
  /**
   * When to look for due retries and open replay cursors next: each is a query, and most steps
   * have neither, so they are looked for once per poll interval, sooner when this worker recorded
   * a retry due earlier, at once when told (`wakeForExceptions`) and on every step while there are some.
   */
  #retriesAt = 0;
  #replaysAt = 0;
  #timer: NodeJS.Timeout | undefined;
  #idle: Promise<void> = Promise.resolve();

  constructor(readonly partition: number, private readonly deps: PartitionWorkerDeps) {}

  get #name(): string {
    return this.deps.handling.consumer.name;
  }

  async start(): Promise<void> {
    const { store } = this.deps;
    const row = (await store.positions.list(this.#name)).find((p) => p.partition === this.partition);
    this.#position = this.#written = row?.position ?? 0;
    this.#writtenAt = Date.now();
    for (const r of await store.failures.blocking(this.#name, this.partition)) if (r.orderingKey !== null) this.#blocked.add(r.orderingKey);
    await this.#loadCarried();
    this.#running = true;
    this.wake();
  }

  /** Stops after the step in progress (waiting at most `graceMs` for it). */
  async stop(graceMs: number): Promise<void> {
    this.#running = false;
    clearTimeout(this.#timer);
    await Promise.race([this.#idle, new Promise((resolve) => setTimeout(resolve, graceMs).unref())]);
  }

  /**
   * The partition is no longer this worker's (given back, taken over, or freed by a reset): it
   * stops, and a step still in flight fails at its advance (a projection's writes roll back),
   * even if this process takes the partition again meanwhile with a new worker.
   */
  revoke(): void {
    this.#revoked = true;
    void this.stop(0);
  }

  /** A replay was opened or dead events were sent back: look for them at the next step. */
  wakeForExceptions(): void {
    this.#retriesAt = 0;
    this.#replaysAt = 0;
    this.wake();
  }

  readonly wake = (): void => {
    if (!this.#running) return;
    if (this.#pumping) { this.#again = true; return; }
    this.#idle = this.#pump();
  };

  async #pump(): Promise<void> {
    this.#pumping = true;
    clearTimeout(this.#timer);
    let delay = this.deps.pollMs;
    try {
      do {
        this.#again = false;
        const work = (await this.#retryStep()) + (await this.#liveStep()) + (await this.#replayStep());
        if (work > 0) this.#again = true;
      } while (this.#again && this.#running);
      this.#failures = 0;
    } catch (error) {
      if (error instanceof LeaseLostError) {
        this.#running = false;
        this.deps.onLost(this.partition);
      } else {
        // The store is unreachable or the consumer's own state failed: try again, backing off.
        this.#failures += 1;
        delay = Math.min(5_000, this.deps.pollMs * 2 ** Math.min(this.#failures, 6));
        this.deps.handling.logger().warn({ err: error, consumer: this.#name, partition: this.partition, retryInMs: delay }, 'consumer step failed');
      }
    } finally {
      this.#pumping = false;
      // A retry due before the next poll brings the next step forward, unless the step failed:
      // then the backoff holds (a store outage must not turn into a busy loop).
      const wait = this.#failures > 0 ? delay : Math.max(0, Math.min(delay, this.#retriesAt - Date.now()));
      if (this.#running) this.#timer = setTimeout(this.wake, wait);
    }
  }

  async #liveStep(): Promise<number> {
    const entries = await this.deps.read(this.#position);
    if (entries.length === 0) {
      if (this.#written < this.#position && Date.now() - this.#writtenAt >= LAZY_ADVANCE_MS) await this.#commit([], this.#position);
      return 0;
    }
    const last = entries.at(-1)!.seq;
    if (last > this.#carriedUpTo) await this.#loadCarried();
    const types = await this.deps.types();
    const consumer = this.deps.handling.consumer;
    const mine = entries.filter((e) => partitionOf(consumer, e) === this.partition && anyTypeMatches(types, e.type) && !this.#carried.has(e.id));
    // The position is written with the partition's own events; past others' (and for the
    // realtime fan-out, whose history nobody asks about) at most once a second.
    const lazyDue = Date.now() - this.#writtenAt >= LAZY_ADVANCE_MS;
    await this.#apply(mine, (tx) => this.#advance(last, tx), lazyDue || (mine.length > 0 && consumer.delivery !== 'live'));
    this.#position = last;
    return entries.length;
  }

  async #replayStep(): Promise<number> {
    const { store } = this.deps;
    if (Date.now() < this.#replaysAt) return 0;
    const cursors = await store.replays.active(this.#name, [this.partition]);
    this.#replaysAt = cursors.length > 0 ? 0 : Date.now() + this.deps.pollMs;
    let work = 0;
    for (const cursor of cursors) {
      const entries = await store.events.readSelection(cursor.tenantId, cursor.selection, cursor.position, cursor.upTo, this.deps.batchSize);
      const finished = entries.length < this.deps.batchSize;
      const last = finished ? cursor.upTo : entries.at(-1)!.seq;
      const types = await this.deps.types();
      const consumer = this.deps.handling.consumer;
      const mine = entries.filter((e) => partitionOf(consumer, e) === this.partition && anyTypeMatches(types, e.type));
      await this.#apply(mine, (tx) => this.#advanceReplay(cursor, last, finished, tx), true);
      work += entries.length + (finished ? 1 : 0);
    }
    return work;
  }

  /** Handles events of one read; `advance` (inside the same transaction as the exception rows) moves the cursor. */
  async #apply(events: LogEntry[], advance: (tx: StoreTx) => Promise<void>, write: boolean): Promise<void> {
    const handling = this.deps.handling;
    const now = Date.now();
    const ready: LogEntry[] = [];
    const rows: FailureRecord[] = [];
    for (const event of events) {
      if (this.#isBlocked(event)) rows.push(handling.parked(event, now));
      else ready.push(event);
    }
    if (ready.length === 0 && rows.length === 0 && !write) return;
    if (handling.transactional) {
      try {
        await this.deps.store.transaction(async (tx) => {
          await handling.handleBatch(ready, tx, 1);
          await this.#put(rows, tx);
          await advance(tx);
        });
        return;
      } catch (error) {
        if (error instanceof LeaseLostError) throw error;
        // One event of the batch failed: apply them one by one to find it; the others go on.
        await this.#isolate(ready, rows, advance);
        return;
      }
    }
    rows.push(...(await this.#handleEach(ready)));
    if (rows.length > 0 || write) await this.deps.store.transaction(async (tx) => { await this.#put(rows, tx); await advance(tx); });
  }

  /** Per-event handlers: keys one after another, different keys (or no order) at once. Returns the exception rows. */
  async #handleEach(events: LogEntry[]): Promise<FailureRecord[]> {
    const handling = this.deps.handling;
    const consumer = handling.consumer;
    const rows: FailureRecord[] = [];
    const groups = new Map<string, LogEntry[]>();
    for (const event of events) {
      const key = orderingKeyOf(consumer, event) ?? `\u0000${event.id}`;
      groups.set(key, [...(groups.get(key) ?? []), event]);
    }
    await forEachLimited([...groups.values()], consumer.concurrency ?? 8, async (group) => {
      for (const event of group) {
        if (this.#isBlocked(event)) { rows.push(handling.parked(event, Date.now())); continue; }
        try {
          await handling.handleOne(event, 1);
        } catch (error) {
          if (consumer.delivery === 'live') { handling.logger(event).warn({ err: error }, 'live consumer failed'); continue; }
          const row = handling.failure(event, 1, error, Date.now());
          rows.push(row);
          if (row.status === 'failed' && row.orderingKey !== null) this.#blocked.add(row.orderingKey);
        }
      }
    });
    return rows;
  }

  /** A projection's batch failed: each event in its own transaction, the failing ones recorded. */
  async #isolate(events: LogEntry[], parked: FailureRecord[], advance: (tx: StoreTx) => Promise<void>): Promise<void> {
    const { store, handling } = this.deps;
    const lease = (tx: StoreTx) => this.#advance(this.#written, tx);
    for (const event of events) {
      if (this.#isBlocked(event)) { parked.push(handling.parked(event, Date.now())); continue; }
      try {
        await store.transaction(async (tx) => { await handling.handleBatch([event], tx, 1); await lease(tx); });
      } catch (error) {
        if (error instanceof LeaseLostError) throw error;
        const row = handling.failure(event, 1, error, Date.now());
        await this.#put([row]);
        if (row.status === 'failed' && row.orderingKey !== null) this.#blocked.add(row.orderingKey);
      }
    }
    await store.transaction(async (tx) => { await this.#put(parked, tx); await advance(tx); });
  }

  async #retryStep(): Promise<number> {
    if (Date.now() < this.#retriesAt) return 0;
    const due = await this.deps.store.failures.due(this.#name, [this.partition], Date.now(), RETRIES_PER_STEP);
    this.#retriesAt = due.length === RETRIES_PER_STEP ? 0 : Date.now() + this.deps.pollMs;
    for (const row of due) {
      const outcome = await this.#attempt(row, row.attempts + 1, false);
      if (outcome !== 'failed' && row.orderingKey !== null) await this.#drain(row.orderingKey);
    }
    return due.length;
  }

  /** The key's blocker is settled: its parked events run in log order until one fails. */
  async #drain(key: string): Promise<void> {
    for (;;) {
      const parked = await this.deps.store.failures.parked(this.#name, this.partition, key, RETRIES_PER_STEP);
      if (parked.length === 0) { this.#blocked.delete(key); return; }
      for (const row of parked) if ((await this.#attempt(row, 1, true)) === 'failed') return;
    }
  }

  /** One more attempt at an exception row's event; records the outcome and returns it. */
  async #attempt(row: FailureRecord, attempt: number, wasParked: boolean): Promise<FailureStatus> {
    const { store, handling } = this.deps;
    const found = await store.events.get(row.tenantId, row.eventId);
    if (!found) {
      await this.#put([{ ...row, status: 'dead', lastError: 'event not found in the log', nextAttemptAt: null, updatedAt: Date.now() }]);
      return 'dead';
    }
    const event: LogEntry = { ...found, seq: row.seq };
    const settled = async (tx: StoreTx) => {
      if (wasParked) await store.failures.remove(this.#name, [row.eventId], tx);
      else await this.#put([{ ...row, status: 'done', attempts: attempt, nextAttemptAt: null, updatedAt: Date.now() }], tx);
    };
    try {
      if (handling.transactional) {
        await store.transaction(async (tx) => { await handling.handleBatch([event], tx, attempt); await settled(tx); });
      } else {
        await handling.handleOne(event, attempt);
        await store.transaction(settled);
      }
      return 'done';
    } catch (error) {
      const failed = handling.failure(event, attempt, error, Date.now());
      await this.#put([{ ...failed, lastError: errorMessage(error) }]);
      return failed.status;
    }
  }

  /** Writes exception rows; a retry due before the next planned look brings that look forward. */
  async #put(rows: FailureRecord[], tx?: StoreTx): Promise<void> {
    await this.deps.store.failures.put(rows, tx);
    for (const row of rows) if (row.status === 'failed' && row.nextAttemptAt !== null) this.#retriesAt = Math.min(this.#retriesAt, row.nextAttemptAt);
  }

  async #loadCarried(): Promise<void> {
    const rows = await this.deps.store.failures.above(this.#name, this.#position, CARRIED_PAGE);
    this.#carried.clear();
    for (const r of rows) this.#carried.add(r.eventId);
    this.#carriedUpTo = rows.length === CARRIED_PAGE ? rows.at(-1)!.seq : Infinity;
  }

  #isBlocked(event: LogEntry): boolean {
    const key = orderingKeyOf(this.deps.handling.consumer, event);
    return key !== null && this.#blocked.has(key);
  }

  async #advance(position: number, tx: StoreTx): Promise<void> {
    if (this.#revoked) throw new LeaseLostError(this.#name, this.partition);
    const now = Date.now();
    if (!(await this.deps.store.positions.advance(this.#name, this.partition, this.deps.owner, { from: this.#written, to: position }, now, tx))) {
      throw new LeaseLostError(this.#name, this.partition);
    }
    this.#written = Math.max(this.#written, position);
    this.#writtenAt = now;
  }

  async #advanceReplay(cursor: ReplayCursor, position: number, finished: boolean, tx: StoreTx): Promise<void> {
    await this.#advance(this.#written, tx); // still ours: the cursor moves only with the partition's lease
    await this.deps.store.replays.advance(cursor.id, cursor.partition, position, finished, Date.now(), tx);
  }

  async #commit(rows: FailureRecord[], position: number): Promise<void> {
    await this.deps.store.transaction(async (tx) => { await this.#put(rows, tx); await this.#advance(position, tx); });
  }
}
