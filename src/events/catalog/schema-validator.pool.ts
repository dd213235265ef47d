/**
 * Runs catalog schema work (compiling a tenant's schema, validating an event against it) in
 * worker threads (platform/worker-pool.ts): bounded concurrency and queue (then 429), a time
 * limit per job (compiling gets a longer one than validating) and a capped heap, so a hostile
 * schema or event costs one worker for a bounded time, never the main thread's event loop.
 * A job that cannot finish answers 422 CATALOG_SCHEMA_UNSAFE.
 */
import { AppError, type FieldError } from '../../platform/errors.js';
import { WorkerPool, type WorkerFailure, type WorkerLimits } from '../../platform/worker-pool.js';
import type { SchemaJob, SchemaProgress, SchemaReply } from './schema-validator.worker.js';

export interface SchemaPoolOptions extends WorkerLimits {
  /** Time limit (ms) of validating one event against a compiled schema. */
  validateTimeoutMs: number;
  /** Time limit (ms) of compiling one schema. */
  compileTimeoutMs: number;
  /** Worker entry (default: schema-validator.entry.mjs next to this file). */
  entry?: URL;
}

export const DEFAULT_SCHEMA_POOL: SchemaPoolOptions = { workers: 2, queue: 2000, validateTimeoutMs: 1000, compileTimeoutMs: 10_000, memoryMb: 128 };

type Phase = SchemaProgress['phase'];
const phaseOf = (job: SchemaJob, stage: string | undefined): Phase => (stage as Phase | undefined) ?? (job.kind === 'compile' ? 'compile' : 'validate');
const WHAT: Record<Phase, string> = { compile: 'compiling the schema', validate: 'validating the event against its schema' };

function unsafe({ reason, stage, limitMs, memoryMb }: WorkerFailure, job: SchemaJob): SchemaReply {
  const what = WHAT[phaseOf(job, stage)];
  const detail = reason === 'timeout' ? `${what} took longer than ${limitMs} ms`
    : reason === 'memory' ? `${what} needed more than ${memoryMb} MB` : `${what} failed`;
  return { ok: false, detail };
}

export class SchemaValidatorPool {
  readonly #pool: WorkerPool<SchemaJob, SchemaReply>;

  constructor(options: SchemaPoolOptions = DEFAULT_SCHEMA_POOL) {
    this.#pool = new WorkerPool<SchemaJob, SchemaReply>({
      ...options, // workers, queue, memoryMb
      name: 'schema validation',
      entry: options.entry ?? new URL('./schema-validator.entry.mjs', import.meta.url),
      // A validation that must compile first gets the compile limit for that part, then its own.
      timeLimit: (job, stage) => (phaseOf(job, stage) === 'compile' ? options.compileTimeoutMs : options.validateTimeoutMs),
      stageOf: (message) => (typeof message === 'object' && message !== null && 'phase' in message ? (message as SchemaProgress).phase : undefined),
      failed: unsafe,
      busyDetail: 'too many events are waiting for schema validation; retry shortly',
      perKeyLimit: Math.max(1, Math.floor(options.queue / 4)),
    });
  }

  /**
   * Compiles (kind `compile`) or validates in a worker; resolves the field errors, rejects with an
   * AppError. Tenants take turns for the workers and each may hold a quarter of the queue, so a
   * tenant with slow schemas never keeps another's events waiting.
   */
  async run(job: SchemaJob, tenantId: string): Promise<FieldError[]> {
    const reply = await this.#pool.run(job, tenantId);
    if (reply.ok) return reply.errors;
    throw new AppError('CATALOG_SCHEMA_UNSAFE', { detail: reply.detail, errors: [{ pointer: job.kind === 'compile' ? '/schema' : '/data', detail: reply.detail }] });
  }

  /** Refuses new jobs, rejects waiting ones and stops every worker. */
  close(): Promise<void> {
    return this.#pool.close();
  }
}
