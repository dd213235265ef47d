/**
 * The text extraction pool: HTML and PDF files are read in worker threads (platform/worker-pool.ts)
 * under a time limit and a heap limit, so a hostile file costs one worker, never the main
 * thread's event loop or memory. Tenants take turns for the workers; a job that cannot finish
 * answers `DOCUMENT_UNREADABLE` (422).
 */
import { WorkerPool, type WorkerFailure, type WorkerLimits } from '../../platform/worker-pool.js';

export interface ExtractJob {
  kind: 'html' | 'pdf';
  /** The file's bytes (transferred to the worker). */
  data: ArrayBuffer;
  maxTextBytes: number;
}

export type ExtractReply =
  | { ok: true; title: string | null; text: string }
  | { ok: false; code: 'DOCUMENT_TEXT_TOO_LARGE' | 'DOCUMENT_UNREADABLE'; detail?: string };

export interface ExtractPoolOptions extends WorkerLimits {
  /** Time limit of one file (ms). */
  timeoutMs: number;
  /** Idle workers are stopped after this long (default 30 s). */
  idleMs?: number;
  /** Worker entry (default: extract-worker.entry.mjs next to this file). */
  entry?: URL;
}

function unreadable({ reason, limitMs, memoryMb }: WorkerFailure): ExtractReply {
  const detail = reason === 'timeout' ? `reading the file took longer than ${limitMs} ms`
    : reason === 'memory' ? `reading the file needed more than ${memoryMb} MB` : 'the file could not be read';
  return { ok: false, code: 'DOCUMENT_UNREADABLE', detail };
}

export class ExtractPool {
  readonly #pool: WorkerPool<ExtractJob, ExtractReply>;

  constructor(options: ExtractPoolOptions) {
    this.#pool = new WorkerPool<ExtractJob, ExtractReply>({
      ...options, // workers, queue, memoryMb
      name: 'text extraction',
      entry: options.entry ?? new URL('./extract-worker.entry.mjs', import.meta.url),
      idleMs: options.idleMs ?? 30_000,
      timeLimit: () => options.timeoutMs,
      failed: unreadable,
      transfer: (job) => [job.data],
      busyDetail: 'too many files are being extracted; retry shortly',
    });
  }

  /** Extracts in a worker (`owner`, a tenant, takes turns with others); a time-out or a worker that dies answers `DOCUMENT_UNREADABLE`. */
  run(job: ExtractJob, owner = ''): Promise<ExtractReply> {
    return this.#pool.run(job, owner);
  }

  /** Jobs running or waiting (for tests and metrics). */
  get pending(): number {
    return this.#pool.pending;
  }

  /** Refuses new jobs, rejects waiting ones and stops every worker (running jobs answer 422). */
  close(): Promise<void> {
    return this.#pool.close();
  }
}
