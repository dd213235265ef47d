/**
 * Runs catalog schema work (compiling a tenant's schema, validating an event against it) in
 * worker threads: at most `workers` jobs at once, at most `queue` more waiting (then 429), each
 * under a time limit — the worker is terminated when it runs out, or when it dies (its heap is
 * capped) — so a hostile schema or event costs one worker for a bounded time, never the main
 * thread's event loop. A job that cannot finish answers 422 CATALOG_SCHEMA_UNSAFE.
 */
import { Worker } from 'node:worker_threads';
import { AppError, type FieldError } from '../../platform/errors.js';
import type { SchemaJob, SchemaProgress, SchemaReply } from './schema-validator.worker.js';

export interface SchemaPoolOptions {
  workers: number;
  queue: number;
  validateTimeoutMs: number;
  compileTimeoutMs: number;
  memoryMb: number;
  /** Worker entry (default: schema-validator.entry.mjs next to this file). */
  entry?: URL;
}

type JobInput = SchemaJob extends infer J ? (J extends SchemaJob ? Omit<J, 'id'> : never) : never;
interface Waiting { job: JobInput; resolve: (errors: FieldError[]) => void; reject: (error: unknown) => void }
interface Slot { worker: Worker; ready: Promise<void> }

const STARTUP_TIMEOUT_MS = 60_000;

export const DEFAULT_SCHEMA_POOL: SchemaPoolOptions = { workers: 2, queue: 2000, validateTimeoutMs: 1000, compileTimeoutMs: 10_000, memoryMb: 128 };

export class SchemaValidatorPool {
  readonly #idle: Slot[] = [];
  readonly #all = new Set<Slot>();
  readonly #waiting: Waiting[] = [];
  readonly #entry: URL;
  #running = 0;
  #nextId = 1;
  #closed = false;

  constructor(private readonly options: SchemaPoolOptions = DEFAULT_SCHEMA_POOL) {
    this.#entry = options.entry ?? new URL('./schema-validator.entry.mjs', import.meta.url);
  }

  /** Compiles (kind `compile`) or validates in a worker; resolves the field errors, rejects with an AppError. */
  run(job: JobInput): Promise<FieldError[]> {
    if (this.#closed) return Promise.reject(new AppError('SHUTTING_DOWN'));
    if (this.#waiting.length >= this.options.queue) {
      return Promise.reject(new AppError('RATE_LIMITED', { detail: 'too many events are waiting for schema validation; retry shortly' }));
    }
    return new Promise((resolve, reject) => {
      this.#waiting.push({ job, resolve, reject });
      this.#drain();
    });
  }

  /** Refuses new jobs, rejects waiting ones and stops every worker. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const waiting of this.#waiting.splice(0)) waiting.reject(new AppError('SHUTTING_DOWN'));
    await Promise.all([...this.#all].map((slot) => slot.worker.terminate().catch(() => undefined)));
  }

  #drain(): void {
    while (this.#running < this.options.workers && this.#waiting.length > 0) {
      const next = this.#waiting.shift()!;
      this.#running += 1;
      void this.#execute(next).finally(() => {
        this.#running -= 1;
        this.#drain();
      });
    }
  }

  async #execute({ job, resolve, reject }: Waiting): Promise<void> {
    const slot = this.#idle.pop() ?? this.#spawn();
    try {
      await slot.ready;
    } catch {
      this.#drop(slot);
      reject(new AppError('INTERNAL', { detail: 'the schema validation worker did not start' }));
      return;
    }
    const { reply, reusable } = await this.#send(slot, job);
    if (reusable && !this.#closed) this.#idle.push(slot);
    else this.#drop(slot);
    if (reply.ok) resolve(reply.errors);
    else reject(new AppError('CATALOG_SCHEMA_UNSAFE', { detail: reply.detail, errors: [{ pointer: job.kind === 'compile' ? '/schema' : '/data', detail: reply.detail }] }));
  }

  #spawn(): Slot {
    const { memoryMb } = this.options;
    const worker = new Worker(this.#entry, {
      resourceLimits: { maxOldGenerationSizeMb: memoryMb, maxYoungGenerationSizeMb: Math.max(4, Math.floor(memoryMb / 8)), stackSizeMb: 4 },
      stdout: false, stderr: false,
    });
    worker.unref();
    // A worker's error must never reach the process: the job waiting on it (if any) answers 422.
    worker.on('error', () => undefined);
    const ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('schema worker did not start')), STARTUP_TIMEOUT_MS);
      const fail = (error: unknown) => { clearTimeout(timer); reject(error instanceof Error ? error : new Error(`schema worker exited (${String(error)})`)); };
      worker.once('message', () => { clearTimeout(timer); worker.off('error', fail); worker.off('exit', fail); resolve(); });
      worker.once('error', fail);
      worker.once('exit', fail);
    });
    ready.catch(() => undefined);
    const slot = { worker, ready };
    this.#all.add(slot);
    return slot;
  }

  #drop(slot: Slot): void {
    this.#all.delete(slot);
    void slot.worker.terminate().catch(() => undefined);
  }

  /** Posts one job; settles on its reply, the time limit, or the worker's death. */
  #send(slot: Slot, job: JobInput): Promise<{ reply: SchemaReply; reusable: boolean }> {
    const { worker } = slot;
    const id = this.#nextId++;
    let phase: SchemaProgress['phase'] = job.kind === 'compile' ? 'compile' : 'validate';
    const limitOf = () => (phase === 'compile' ? this.options.compileTimeoutMs : this.options.validateTimeoutMs);
    const whatOf = () => (phase === 'compile' ? 'compiling the schema' : 'validating the event against its schema');
    return new Promise((settle) => {
      const done = (reply: SchemaReply, reusable: boolean) => {
        clearTimeout(timer);
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
        settle({ reply, reusable });
      };
      const expire = () => done({ id, ok: false, detail: `${whatOf()} took longer than ${limitOf()} ms` }, false);
      // A validation that must compile first gets the compile limit for that part, then its own.
      const onMessage = (message: SchemaReply | SchemaProgress) => {
        if (message.id !== id) return;
        if ('phase' in message) {
          phase = message.phase;
          clearTimeout(timer);
          timer = setTimeout(expire, limitOf());
        } else {
          done(message, true);
        }
      };
      const onError = (error: Error & { code?: string }) => done({ id, ok: false, detail: error.code === 'ERR_WORKER_OUT_OF_MEMORY' ? `${whatOf()} needed more than ${this.options.memoryMb} MB` : `${whatOf()} failed` }, false);
      const onExit = () => done({ id, ok: false, detail: `${whatOf()} failed` }, false);
      let timer = setTimeout(expire, limitOf());
      worker.on('message', onMessage);
      worker.once('error', onError);
      worker.once('exit', onExit);
      worker.postMessage({ ...job, id });
    });
  }
}
