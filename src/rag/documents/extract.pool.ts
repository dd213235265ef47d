/**
 * A small pool of text extraction worker threads. At most `workers` files are extracted at
 * once, at most `queue` more wait (then 429), each job runs under a time limit (the worker is
 * terminated when it runs out) in a thread whose heap is capped, so a hostile file costs one
 * worker, never the main thread's event loop or memory.
 */
import { Worker } from 'node:worker_threads';
import { AppError } from '../../platform/errors.js';

export interface ExtractJob {
  kind: 'html' | 'pdf';
  /** The file's bytes (transferred to the worker). */
  data: ArrayBuffer;
  maxTextBytes: number;
}

export type ExtractReply =
  | { ok: true; title: string | null; text: string }
  | { ok: false; code: 'DOCUMENT_TEXT_TOO_LARGE' | 'DOCUMENT_UNREADABLE'; detail?: string };

export interface ExtractPoolOptions {
  /** Files extracted at once (worker threads). */
  workers: number;
  /** Files waiting for a worker before new ones are refused with 429. */
  queue: number;
  timeoutMs: number;
  memoryMb: number;
  /** Idle workers are stopped after this long. */
  idleMs?: number;
  /** Worker entry (default: extract-worker.entry.mjs next to this file). */
  entry?: URL;
}

interface Waiting { job: ExtractJob; owner: string; resolve: (reply: ExtractReply) => void; reject: (error: unknown) => void }
interface Slot { worker: Worker; ready: Promise<void>; idleTimer?: NodeJS.Timeout }

const STARTUP_TIMEOUT_MS = 60_000;

export class ExtractPool {
  private readonly idle: Slot[] = [];
  private readonly busy = new Set<Slot>();
  private readonly waiting: Waiting[] = [];
  private running = 0;
  /** Running jobs per owner (tenant): the next job is the oldest of an owner with the fewest running. */
  private readonly runningBy = new Map<string, number>();
  private closed = false;
  private readonly entry: URL;

  constructor(private readonly options: ExtractPoolOptions) {
    this.entry = options.entry ?? new URL('./extract-worker.entry.mjs', import.meta.url);
  }

  /** Extracts in a worker; a time-out or a worker that dies answers `DOCUMENT_UNREADABLE`. */
  run(job: ExtractJob, owner = ''): Promise<ExtractReply> {
    if (this.closed) return Promise.reject(new AppError('SHUTTING_DOWN'));
    if (this.running >= this.options.workers && this.waiting.length >= this.options.queue) {
      return Promise.reject(new AppError('RATE_LIMITED', { detail: 'too many files are being extracted; retry shortly' }));
    }
    return new Promise((resolve, reject) => {
      this.waiting.push({ job, owner, resolve, reject });
      this.drain();
    });
  }

  /** Jobs running or waiting (for tests and metrics). */
  get pending(): number {
    return this.running + this.waiting.length;
  }

  /** Refuses new jobs, rejects waiting ones and stops every worker (running jobs answer 422). */
  async close(): Promise<void> {
    this.closed = true;
    for (const waiting of this.waiting.splice(0)) waiting.reject(new AppError('SHUTTING_DOWN'));
    await Promise.all([...this.idle.splice(0), ...this.busy].map((slot) => this.stop(slot)));
  }

  private drain(): void {
    while (this.running < this.options.workers && this.waiting.length > 0) {
      const next = this.waiting.splice(this.fairest(), 1)[0]!;
      this.running += 1;
      this.runningBy.set(next.owner, (this.runningBy.get(next.owner) ?? 0) + 1);
      this.execute(next).finally(() => {
        this.running -= 1;
        const left = (this.runningBy.get(next.owner) ?? 1) - 1;
        if (left > 0) this.runningBy.set(next.owner, left);
        else this.runningBy.delete(next.owner);
        this.drain();
      });
    }
  }

  /** Index of the oldest waiting job among the owners with the fewest running jobs. */
  private fairest(): number {
    let best = 0;
    let fewest = Number.POSITIVE_INFINITY;
    for (const [index, waiting] of this.waiting.entries()) {
      const running = this.runningBy.get(waiting.owner) ?? 0;
      if (running < fewest) { fewest = running; best = index; }
      if (running === 0) break;
    }
    return best;
  }

  private async execute({ job, resolve, reject }: Waiting): Promise<void> {
    let slot: Slot | undefined;
    try {
      slot = this.idle.pop() ?? this.spawn();
      this.busy.add(slot);
      if (slot.idleTimer) clearTimeout(slot.idleTimer);
      await slot.ready;
      if (this.closed) throw new AppError('SHUTTING_DOWN');
    } catch (error) {
      if (slot) { this.busy.delete(slot); await this.stop(slot); }
      reject(this.closed ? new AppError('SHUTTING_DOWN') : error);
      return;
    }
    const reply = await this.send(slot, job);
    this.busy.delete(slot);
    resolve(reply.reply);
    if (reply.reusable && !this.closed) this.park(slot);
    else await this.stop(slot);
  }

  private spawn(): Slot {
    const worker = new Worker(this.entry, {
      resourceLimits: { maxOldGenerationSizeMb: this.options.memoryMb, maxYoungGenerationSizeMb: Math.max(4, Math.floor(this.options.memoryMb / 8)), stackSizeMb: 4 },
      stdout: false, stderr: false,
    });
    worker.unref();
    // A worker's error must never reach the process: the job waiting on it (if any) answers 422.
    worker.on('error', () => undefined);
    worker.on('exit', () => {
      const at = this.idle.findIndex((slot) => slot.worker === worker);
      if (at >= 0) this.idle.splice(at, 1);
    });
    const ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('text extraction worker did not start')), STARTUP_TIMEOUT_MS);
      const fail = (error: unknown) => { clearTimeout(timer); reject(error instanceof Error ? error : new Error(`text extraction worker exited (${String(error)})`)); };
      worker.once('message', () => { clearTimeout(timer); worker.off('error', fail); worker.off('exit', fail); resolve(); });
      worker.once('error', fail);
      worker.once('exit', fail);
    });
    ready.catch(() => worker.terminate());
    return { worker, ready };
  }

  /** Posts one job; settles on its reply, the time limit, or the worker's death. */
  private send(slot: Slot, job: ExtractJob): Promise<{ reply: ExtractReply; reusable: boolean }> {
    const { worker } = slot;
    return new Promise((settle) => {
      const done = (reply: ExtractReply, reusable: boolean) => {
        clearTimeout(timer);
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
        settle({ reply, reusable });
      };
      const onMessage = (reply: ExtractReply) => done(reply, true);
      const onError = (error: Error & { code?: string }) => done(error.code === 'ERR_WORKER_OUT_OF_MEMORY'
        ? { ok: false, code: 'DOCUMENT_UNREADABLE', detail: `reading the file needed more than ${this.options.memoryMb} MB` }
        : { ok: false, code: 'DOCUMENT_UNREADABLE', detail: 'the file could not be read' }, false);
      const onExit = () => done({ ok: false, code: 'DOCUMENT_UNREADABLE', detail: 'the file could not be read' }, false);
      const timer = setTimeout(() => done({ ok: false, code: 'DOCUMENT_UNREADABLE', detail: `reading the file took longer than ${this.options.timeoutMs} ms` }, false), this.options.timeoutMs);
      worker.on('message', onMessage);
      worker.once('error', onError);
      worker.once('exit', onExit);
      worker.postMessage(job, [job.data]);
    });
  }

  private park(slot: Slot): void {
    slot.idleTimer = setTimeout(() => {
      const at = this.idle.indexOf(slot);
      if (at >= 0) this.idle.splice(at, 1);
      void this.stop(slot);
    }, this.options.idleMs ?? 30_000);
    slot.idleTimer.unref();
    this.idle.push(slot);
  }

  private async stop(slot: Slot): Promise<void> {
    if (slot.idleTimer) clearTimeout(slot.idleTimer);
    await slot.worker.terminate().catch(() => undefined);
  }
}
