/**
 * Runs the consumers of this process. Each consumer's partitions are shared among the workers
 * (processes) running it through leases in the store: every process renews its own, gives back
 * what is above its fair share when another joins, and takes over the partitions of one that
 * stopped renewing (it died) once their lease ran out.
 */
import { hostname } from 'node:os';
import type { Logger } from '../../platform/logger.js';
import type { Metrics } from '../../platform/metrics.js';
import { newId } from '../../platform/ids.js';
import type { LogEntry } from '../../ports/events.types.js';
import type { Store } from '../../ports/store.port.js';
import type { ConsumerDefinition, ConsumerRegistry } from './consumer.registry.js';
import { EventHandling } from './event-handling.js';
import { partitionCount, type RetryPolicy } from './partitions.js';
import { PartitionWorker } from './partition-worker.js';

export interface ConsumerRunnerDeps {
  store: Store;
  logger: Logger;
  metrics: Metrics;
  retry: RetryPolicy;
  /** How long a partition stays with a worker that stopped renewing its lease. */
  leaseMs: number;
  /** Idle poll: other processes append to a shared log, and retries come due. */
  pollMs: number;
  /** This worker's name in the leases. */
  owner: string;
  signal: AbortSignal;
  /** The log after a position, read once for every consumer and partition at that position. */
  read(after: number, limit: number): Promise<LogEntry[]>;
}

/** Appends this close together wake the consumers once. */
const WAKE_COALESCE_MS = 4;

/** A read of the log shared by the consumers of this process, kept this long (new appends clear it). */
const READ_SHARE_MS = 25;

/**
 * Reads of the log shared by every consumer and partition of this process: they mostly stand at
 * the same position, and one read (with its JSON parsing) then serves them all.
 */
export class SharedLogReader {
  readonly #reads = new Map<string, { at: number; entries: Promise<LogEntry[]> }>();

  constructor(private readonly store: Store) {}

  read(after: number, limit: number): Promise<LogEntry[]> {
    const now = Date.now();
    const key = `${after}:${limit}`;
    const cached = this.#reads.get(key);
    if (cached && now - cached.at <= READ_SHARE_MS) return cached.entries;
    const entries = this.store.events.readAfter(after, limit);
    this.#reads.set(key, { at: now, entries });
    entries.catch(() => this.#reads.delete(key));
    if (this.#reads.size > 64) for (const [k, r] of this.#reads) if (now - r.at > READ_SHARE_MS) this.#reads.delete(k);
    return entries;
  }

  /** New events were appended: the next reads go to the store. */
  clear(): void {
    this.#reads.clear();
  }
}

export class ConsumerRunner {
  readonly #workers = new Map<number, PartitionWorker>();
  readonly #handling: EventHandling;
  readonly #partitions: number;
  #timer: NodeJS.Timeout | undefined;
  #balancing: Promise<void> | null = null;
  #running = false;

  constructor(readonly consumer: ConsumerDefinition, private readonly deps: ConsumerRunnerDeps) {
    this.#handling = new EventHandling(consumer, deps);
    this.#partitions = partitionCount(consumer);
  }

  /** Partitions this process works now. */
  get partitions(): number[] {
    return [...this.#workers.keys()].sort((a, b) => a - b);
  }

  async start(): Promise<void> {
    const { store } = this.deps;
    // A live consumer (realtime) starts at the head: history is not pushed to streams.
    const startAt = this.consumer.delivery === 'live' ? await store.events.head() : 0;
    await store.positions.ensure(this.consumer.name, this.#partitions, startAt, Date.now());
    this.#running = true;
    await this.rebalance();
    this.#timer = setInterval(() => void this.rebalance(), Math.max(50, Math.floor(this.deps.leaseMs / 3)));
    this.#timer.unref();
  }

  /** Renews this process's leases and takes or gives back partitions. */
  rebalance(): Promise<void> {
    this.#balancing ??= this.#rebalance().finally(() => { this.#balancing = null; });
    return this.#balancing;
  }

  async #rebalance(): Promise<void> {
    if (!this.#running) return;
    const { store, leaseMs, owner } = this.deps;
    let held: number[];
    try {
      // A worker whose partition the store no longer gives this process (a reset freed it, another
      // worker took it) stops before the partition is taken again: a new one starts from the
      // stored position. (Should a reset fall between this read and the acquire, the worker's
      // next advance fails instead: the stored position is no longer the one it wrote.)
      for (const row of await store.positions.list(this.consumer.name)) {
        const worker = this.#workers.get(row.partition);
        if (worker && row.owner !== owner) { this.#workers.delete(row.partition); worker.revoke(); }
      }
      held = await store.positions.acquire(this.consumer.name, owner, Date.now(), leaseMs, this.#partitions);
    } catch (error) {
      this.deps.logger.warn({ err: error, consumer: this.consumer.name }, 'renewing partition leases failed');
      return;
    }
    if (!this.#running) return;
    for (const [partition, worker] of this.#workers) {
      if (held.includes(partition)) continue;
      this.#workers.delete(partition);
      worker.revoke();
    }
    for (const partition of held) {
      if (this.#workers.has(partition)) continue;
      const worker = this.#worker(partition);
      this.#workers.set(partition, worker);
      await worker.start().catch((error: unknown) => {
        this.#workers.delete(partition);
        this.deps.logger.warn({ err: error, consumer: this.consumer.name, partition }, 'starting a partition failed');
      });
    }
  }

  #worker(partition: number): PartitionWorker {
    const { consumer } = this;
    const worker: PartitionWorker = new PartitionWorker(partition, {
      store: this.deps.store, handling: this.#handling, owner: this.deps.owner,
      batchSize: consumer.batchSize ?? 256, pollMs: this.deps.pollMs,
      read: (after) => this.deps.read(after, consumer.batchSize ?? 256),
      types: async () => (consumer.subscription ? consumer.subscription() : consumer.types),
      onLost: (p) => {
        // Only this worker's entry: a revoked one may report after a new worker took its place.
        if (this.#workers.get(p) === worker) this.#workers.delete(p);
        this.deps.logger.info({ consumer: consumer.name, partition: p }, 'partition moved to another worker');
      },
    });
    return worker;
  }

  wake(): void {
    for (const worker of this.#workers.values()) worker.wake();
  }

  /** Replays were opened or dead events sent back: every partition looks for them now. */
  wakeForExceptions(): void {
    for (const worker of this.#workers.values()) worker.wakeForExceptions();
  }

  async stop(graceMs: number): Promise<void> {
    this.#running = false;
    clearInterval(this.#timer);
    await this.#balancing;
    await Promise.all([...this.#workers.values()].map((w) => w.stop(graceMs)));
    this.#workers.clear();
    await this.deps.store.positions.release(this.consumer.name, this.deps.owner)
      .catch((error: unknown) => this.deps.logger.warn({ err: error, consumer: this.consumer.name }, 'giving back partitions failed'));
  }
}

export interface ConsumersDeps extends Omit<ConsumerRunnerDeps, 'owner' | 'signal' | 'read'> {
  registry: ConsumerRegistry;
}

/** The consumers this process runs (all registered, or the ones named). */
export class Consumers {
  /**
   * This process in the leases: random (a restarted process is a new worker) and opaque, since
   * tenant admins see partition owners; the log line at start names its host and pid.
   */
  readonly owner = `w-${newId().replace(/-/g, '').slice(-12)}`;
  readonly #runners = new Map<string, ConsumerRunner>();
  readonly #abort = new AbortController();
  readonly #reader: SharedLogReader;
  #wakeTimer: NodeJS.Timeout | undefined;

  constructor(private readonly deps: ConsumersDeps) {
    this.#reader = new SharedLogReader(deps.store);
  }

  /** Starts the named consumers (all when empty); `live` picks only the live ones (API role). */
  async start(names: string[] = [], only?: 'live' | 'durable'): Promise<void> {
    this.deps.logger.info({ worker: this.owner, host: hostname(), pid: process.pid }, 'consumer worker starting');
    const unknown = names.filter((n) => !this.deps.registry.get(n));
    if (unknown.length > 0) throw new Error(`unknown consumers: ${unknown.join(', ')}`);
    const chosen = this.deps.registry.list()
      .filter((c) => names.length === 0 || names.includes(c.name))
      .filter((c) => only === undefined || c.delivery === only);
    for (const consumer of chosen) {
      if (this.#runners.has(consumer.name)) continue;
      const runner = new ConsumerRunner(consumer, {
        ...this.deps, owner: this.owner, signal: this.#abort.signal, read: (after, limit) => this.#reader.read(after, limit),
      });
      this.#runners.set(consumer.name, runner);
      await runner.start();
    }
  }

  runner(name: string): ConsumerRunner | undefined {
    return this.#runners.get(name);
  }

  /**
   * Something was appended in this process: read it shortly. Wakes within WAKE_COALESCE_MS are
   * one: under a stream of small appends (single-event requests) each step then takes several
   * events, instead of every partition of every consumer stepping once per commit.
   */
  readonly wake = (): void => {
    if (this.#wakeTimer) return;
    this.#wakeTimer = setTimeout(() => {
      this.#wakeTimer = undefined;
      this.#reader.clear();
      for (const runner of this.#runners.values()) runner.wake();
    }, WAKE_COALESCE_MS);
  };

  /** A replay was opened, a position reset or dead events sent back in this process: work them now. */
  readonly wakeForExceptions = (): void => {
    this.#reader.clear();
    for (const runner of this.#runners.values()) runner.wakeForExceptions();
  };

  /** Stops reading, lets steps in flight finish within the grace period, gives back the partitions. */
  async stop(graceMs: number): Promise<void> {
    clearTimeout(this.#wakeTimer);
    this.#wakeTimer = undefined;
    const runners = [...this.#runners.values()];
    this.#runners.clear();
    await Promise.all(runners.map((r) => r.stop(graceMs)));
    this.#abort.abort();
  }
}
