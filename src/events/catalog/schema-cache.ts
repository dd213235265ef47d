/**
 * Compiled tenant schemas, kept by content: compiling a JSON Schema costs far more than
 * validating with it (hundreds of milliseconds for a large one), so each distinct schema text is
 * compiled once — not on every catalog lookup — and refusals are remembered too.
 * Bounded by the bytes of the schemas it holds.
 */
import { createHash } from 'node:crypto';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { LRUCache } from 'lru-cache';
import { AppError, type FieldError } from '../../platform/errors.js';

interface Compiled {
  validate: ValidateFunction | null;
  error: AppError | null;
  bytes: number;
}

/** Schema text held at most (compiled code takes roughly 20 times the text). */
const DEFAULT_MAX_BYTES = 16 * 1024 * 1024;

/** Field errors listed for one event at most (a long array can break a schema at every item). */
const MAX_FIELD_ERRORS = 100;

/** Ajv's errors as problem+json field errors, pointers under `/data`. */
export function toFieldErrors(errors: ErrorObject[] | null | undefined): FieldError[] {
  return (errors ?? []).slice(0, MAX_FIELD_ERRORS).map((e) => {
    const missing = e.keyword === 'required' ? `/${String((e.params as { missingProperty?: string }).missingProperty)}` : '';
    return { pointer: `/data${e.instancePath}${missing}`, detail: e.message ?? 'is not valid' };
  });
}

/** The key of a schema's text (its SHA-256). */
export const schemaKey = (text: string) => createHash('sha256').update(text).digest('base64url');

export class CompiledSchemas {
  readonly #cache: LRUCache<string, Compiled>;

  /** `compile` compiles one schema text, throwing an AppError when it is refused. */
  constructor(private readonly compile: (text: string) => ValidateFunction, maxBytes = DEFAULT_MAX_BYTES) {
    this.#cache = new LRUCache<string, Compiled>({ maxSize: maxBytes, sizeCalculation: (value) => Math.max(1, value.bytes) });
  }

  /** Whether the schema with this key was compiled (or refused) already. */
  has(key: string): boolean {
    return this.#cache.has(key);
  }

  /** The validator of the schema `text` (whose key is `key`), compiled now or earlier; throws the AppError that refused it. */
  get(key: string, text: string): ValidateFunction {
    let compiled = this.#cache.get(key);
    if (!compiled) {
      compiled = { validate: null, error: null, bytes: Buffer.byteLength(text) + 256 };
      try {
        compiled.validate = this.compile(text);
      } catch (error) {
        if (!(error instanceof AppError)) throw error;
        compiled.error = error;
      }
      this.#cache.set(key, compiled);
    }
    if (compiled.error) throw compiled.error;
    return compiled.validate!;
  }
}
