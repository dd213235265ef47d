/**
 * The catalog schema worker: compiles tenants' JSON Schemas (Ajv, patterns on RE2) and validates
 * event data against them, off the main thread. Its owner (schema-validator.pool.ts) gives each
 * job a time limit and terminates the thread when it runs out, so neither compiling a large
 * schema nor validating a large event against one can stall the server.
 */
import { parentPort } from 'node:worker_threads';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { AppError, type FieldError } from '../../platform/errors.js';
import { CompiledSchemas, toFieldErrors } from './schema-cache.js';
import { re2RegExp, UnsafePatternError } from './schema-guard.js';

export type SchemaJob = { key: string; text: string } & ({ kind: 'compile' } | { kind: 'validate'; data: unknown });
export type SchemaReply = { ok: true; errors: FieldError[] } | { ok: false; detail: string };

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

const regExp = Object.assign((pattern: string) => re2RegExp(pattern), { code: 're2RegExp' });
// addUsedSchema off: compiled schemas are not kept by id, so one tenant's can never name another's.
// logger off: Ajv would print a tenant's unknown formats and keywords to the console.
const ajv = addFormats(new Ajv({ allErrors: true, strict: false, addUsedSchema: false, logger: false, code: { regExp } }));

function compile(schema: Record<string, unknown>): ValidateFunction {
  try {
    return ajv.compile(schema);
  } catch (error) {
    const detail = error instanceof UnsafePatternError ? error.message : `the schema does not compile: ${(error as Error).message}`;
    throw new AppError('CATALOG_SCHEMA_UNSAFE', { detail });
  } finally {
    ajv.removeSchema(schema); // Ajv would keep every compiled object for ever
  }
}

const compiled = new CompiledSchemas((text) => compile(JSON.parse(text) as Record<string, unknown>));

/** Tells the pool which phase a job is in, so compiling runs under its own, longer time limit. */
export type SchemaProgress = { phase: 'compile' | 'validate' };

function handle(job: SchemaJob, progress: (message: SchemaProgress) => void): SchemaReply {
  try {
    const cold = !compiled.has(job.key);
    if (cold && job.kind === 'validate') progress({ phase: 'compile' });
    const validate = compiled.get(job.key, job.text);
    if (job.kind === 'compile') return { ok: true, errors: [] };
    if (cold) progress({ phase: 'validate' });
    return { ok: true, errors: validate(job.data ?? {}) ? [] : toFieldErrors(validate.errors) };
  } catch (error) {
    return { ok: false, detail: error instanceof Error ? error.message : String(error) };
  }
}

if (parentPort) {
  const port = parentPort;
  port.on('message', (job: SchemaJob) => port.postMessage(handle(job, (message) => port.postMessage(message))));
  port.postMessage('ready');
}
