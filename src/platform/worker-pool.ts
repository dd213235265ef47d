/**
 * One pool of worker threads for work on untrusted input (tenant JSON Schemas, uploaded files).
 * Such work never runs on the event loop: a hostile input may cost one worker for a bounded time
 * and memory, never the server. At most `workers` jobs run at once and at most `queue` more wait
 * (then 429); each job runs under a time limit (its worker is terminated when it runs out, and a
 * fresh one takes its place), in a thread whose heap is capped; a worker that dies fails only its
 * own job. Waiting jobs take turns by key (e.g. tenant), so one key cannot keep the others waiting.
 *
 * A worker's protocol: its first message says it is ready; then, for each job it is posted, it
 * answers one message, the job's result. A message `stageOf` recognises moves the job to another
 * stage instead, restarting its clock with that stage's limit.
 */
import { Worker, type TransferListItem } from 'node:worker_threads';
import { AppError } from './errors.js';

/** Why a job did not finish: `limitMs` is the time limit it ran out of, `stage` the stage it was in. */
export interface WorkerFailure {
  reason: 'timeout' | 'memory' | 'crash';
  stage: string | undefined;
  limitMs: number;
  memoryMb: number;
}

/** How much a pool may hold: the limits its users configure. */
export interface WorkerLimits {
  /** Jobs running at once (worker threads). */
  workers: number;
  /** Jobs waiting for a worker before new ones are refused with 429. */
  queue: number;
  /** Heap limit of each worker (MB). */
  memoryMb: number;
  /** The worker's module (a `.mjs` file; a TypeScript body needs a small entry that registers tsx). */
  entry?: URL;
}

export interface WorkerPoolOptions<Job, Result> extends WorkerLimits {
  entry: URL;
  /** What the work is, for messages ("text extraction"). */
  name: string;
  /** Time limit (ms) of a job in a stage (`undefined`: the stage it starts in). */
  timeLimit: (job: Job, stage: string | undefined) => number;
  /** The result of a job that did not finish (ran out of time or memory, or its worker died). */
  failed: (failure: WorkerFailure, job: Job) => Result;
  /** The stage a worker's message announces, or `undefined` when the message is the job's result. */
  stageOf?: (message: unknown) => string | undefined;
  /** Objects moved to the worker with the job rather than copied. */
  transfer?: (job: Job) => readonly TransferListItem[];
  /** Idle workers are stopped after this long (ms); without it they are kept. */
  idleMs?: number;
  /** The 429's detail when the queue is full. */
  busyDetail: string;
  /** Most jobs (running and waiting) one key may hold, so one key cannot fill the queue; unset = no limit. */
  perKeyLimit?: number;
}

interface Waiting<Job, Result> { job: Job; key: string; resolve: (result: Result) => void; reject: (error: unknown) => void }
interface Slot { worker: Worker; ready: Promise<void>; idleTimer?: NodeJS.Timeout }

const STARTUP_TIMEOUT_MS = 60_000;

export class WorkerPool<Job, Result> {
  readonly #idle: Slot[] = [];
  readonly #all = new Set<Slot>();
  readonly #waiting: Waiting<Job, Result>[] = [];
  /** Running jobs per key: the next job is the oldest of a key with the fewest running. */
  readonly #runningBy = new Map<string, number>();
  /** Jobs running or waiting per key, for `perKeyLimit`. */
  readonly #heldBy = new Map<string, number>();
  #running = 0;
  #closed = false;

  constructor(private readonly options: WorkerPoolOptions<Job, Result>) {}

  /**
   * Runs `job` in a worker; `key` (e.g. a tenant id) takes turns with other keys for the workers.
   * Resolves the worker's result or `failed(...)`'s; rejects with 429 `RATE_LIMITED` when the
   * queue is full and `SHUTTING_DOWN` once closed.
   */
  run(job: Job, key = ''): Promise<Result> {
    if (this.#closed) return Promise.reject(new AppError('SHUTTING_DOWN'));
    if (this.#running >= this.options.workers && this.#waiting.length >= this.options.queue) {
      return Promise.reject(new AppError('RATE_LIMITED', { detail: this.options.busyDetail }));
    }
    const held = this.#heldBy.get(key) ?? 0;
    if (this.options.perKeyLimit !== undefined && held >= this.options.perKeyLimit) {
      return Promise.reject(new AppError('RATE_LIMITED', { detail: this.options.busyDetail }));
    }
    this.#heldBy.set(key, held + 1);
    const release = () => {
      const left = (this.#heldBy.get(key) ?? 1) - 1;
      if (left > 0) this.#heldBy.set(key, left);
      else this.#heldBy.delete(key);
    };
    return new Promise<Result>((resolve, reject) => {
      this.#waiting.push({ job, key, resolve, reject });
      this.#drain();
    }).finally(release);
  }

  /** Jobs running or waiting. */
  get pending(): number {
    return this.#running + this.#waiting.length;
  }

  /** Refuses new jobs, rejects waiting ones with `SHUTTING_DOWN` and stops every worker (running jobs fail as crashed). */
  async close(): Promise<void> {
    this.#closed = true;
    for (const waiting of this.#waiting.splice(0)) waiting.reject(new AppError('SHUTTING_DOWN'));
    this.#idle.length = 0;
    await Promise.all([...this.#all].map((slot) => this.#stop(slot)));
  }

  #drain(): void {
    while (this.#running < this.options.workers && this.#waiting.length > 0) {
      const next = this.#waiting.splice(this.#fairest(), 1)[0]!;
      this.#running += 1;
      this.#runningBy.set(next.key, (this.#runningBy.get(next.key) ?? 0) + 1);
      void this.#execute(next).finally(() => {
        this.#running -= 1;
        const left = (this.#runningBy.get(next.key) ?? 1) - 1;
        if (left > 0) this.#runningBy.set(next.key, left);
        else this.#runningBy.delete(next.key);
        this.#drain();
      });
    }
  }

  /** Index of the oldest waiting job among the keys with the fewest running jobs. */
  #fairest(): number {
    let best = 0;
    let fewest = Number.POSITIVE_INFINITY;
    for (const [index, waiting] of this.#waiting.entries()) {
      const running = this.#runningBy.get(waiting.key) ?? 0;
      if (running < fewest) { fewest = running; best = index; }
      if (running === 0) break;
    }
    return best;
  }

  async #execute({ job, resolve, reject }: Waiting<Job, Result>): Promise<void> {
    const slot = this.#idle.pop() ?? this.#spawn();
    if (slot.idleTimer) clearTimeout(slot.idleTimer);
    try {
      await slot.ready;
      if (this.#closed) throw new AppError('SHUTTING_DOWN');
    } catch {
      await this.#stop(slot);
      reject(this.#closed ? new AppError('SHUTTING_DOWN') : new AppError('INTERNAL', { detail: `the ${this.options.name} worker did not start` }));
      return;
    }
    const { result, reusable } = await this.#send(slot, job);
    resolve(result);
    if (reusable && !this.#closed) this.#park(slot);
    else await this.#stop(slot);
  }

  #spawn(): Slot {
    const { memoryMb, name } = this.options;
    const worker = new Worker(this.options.entry, {
      resourceLimits: { maxOldGenerationSizeMb: memoryMb, maxYoungGenerationSizeMb: Math.max(4, Math.floor(memoryMb / 8)), stackSizeMb: 4 },
      stdout: false, stderr: false,
    });
    worker.unref();
    // A worker's error must never reach the process: the job waiting on it (if any) fails alone.
    worker.on('error', () => undefined);
    const ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${name} worker did not start`)), STARTUP_TIMEOUT_MS);
      const fail = (error: unknown) => { clearTimeout(timer); reject(error instanceof Error ? error : new Error(`${name} worker exited (${String(error)})`)); };
      worker.once('message', () => { clearTimeout(timer); worker.off('error', fail); worker.off('exit', fail); resolve(); });
      worker.once('error', fail);
      worker.once('exit', fail);
    });
    ready.catch(() => undefined);
    const slot: Slot = { worker, ready };
    // An idle worker that dies is never handed a job.
    worker.once('exit', () => this.#forget(slot));
    this.#all.add(slot);
    return slot;
  }

  /** Posts one job; settles on its result, its time limit, or its worker's death. */
  #send(slot: Slot, job: Job): Promise<{ result: Result; reusable: boolean }> {
    const { worker } = slot;
    const { memoryMb, timeLimit, stageOf, failed, transfer } = this.options;
    let stage: string | undefined;
    return new Promise((settle) => {
      const done = (result: Result, reusable: boolean) => {
        clearTimeout(timer);
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
        settle({ result, reusable });
      };
      const fail = (reason: WorkerFailure['reason']) => done(failed({ reason, stage, limitMs: timeLimit(job, stage), memoryMb }, job), false);
      const onMessage = (message: unknown) => {
        const next = stageOf?.(message);
        if (next === undefined) return done(message as Result, true);
        stage = next;
        clearTimeout(timer);
        timer = setTimeout(() => fail('timeout'), timeLimit(job, stage));
      };
      const onError = (error: Error & { code?: string }) => fail(error.code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'memory' : 'crash');
      const onExit = () => fail('crash');
      let timer = setTimeout(() => fail('timeout'), timeLimit(job, stage));
      worker.on('message', onMessage);
      worker.once('error', onError);
      worker.once('exit', onExit);
      try {
        worker.postMessage(job, transfer?.(job));
      } catch {
        fail('crash'); // a job that cannot be posted fails alone
      }
    });
  }

  #park(slot: Slot): void {
    const { idleMs } = this.options;
    if (idleMs !== undefined) {
      slot.idleTimer = setTimeout(() => void this.#stop(slot), idleMs);
      slot.idleTimer.unref();
    }
    this.#idle.push(slot);
  }

  #forget(slot: Slot): void {
    if (slot.idleTimer) clearTimeout(slot.idleTimer);
    this.#all.delete(slot);
    const at = this.#idle.indexOf(slot);
    if (at >= 0) this.#idle.splice(at, 1);
  }

  async #stop(slot: Slot): Promise<void> {
    this.#forget(slot);
    await slot.worker.terminate().catch(() => undefined);
  }
}
