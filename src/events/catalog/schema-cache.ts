/**
 * Compiled tenant schemas, kept by content: compiling a JSON Schema costs far more than
 * validating with it (hundreds of milliseconds for a large one), so each distinct schema text is
 * checked and compiled once — not on every catalog lookup — and refusals are remembered too.
 * Bounded by the bytes of the schemas it holds.
 */
import { createHash } from 'node:crypto';
import type { ValidateFunction } from 'ajv';
import { LRUCache } from 'lru-cache';
import { AppError } from '../../platform/errors.js';

interface Compiled {
  validate: ValidateFunction | null;
  error: AppError | null;
  bytes: number;
}

/** Schema text held at most (compiled code takes roughly 20 times the text). */
const DEFAULT_MAX_BYTES = 16 * 1024 * 1024;

export class CompiledSchemas {
  readonly #cache: LRUCache<string, Compiled>;

  /** `compile` checks and compiles one schema, throwing an AppError when it is refused. */
  constructor(private readonly compile: (schema: Record<string, unknown>) => ValidateFunction, maxBytes = DEFAULT_MAX_BYTES) {
    this.#cache = new LRUCache<string, Compiled>({ maxSize: maxBytes, sizeCalculation: (value) => Math.max(1, value.bytes) });
  }

  /** The validator of `schema`, compiled now or earlier; throws the AppError that refused it. */
  get(schema: Record<string, unknown>): ValidateFunction {
    const text = JSON.stringify(schema);
    const key = createHash('sha256').update(text).digest('base64url');
    let compiled = this.#cache.get(key);
    if (!compiled) {
      compiled = { validate: null, error: null, bytes: Buffer.byteLength(text) + 256 };
      try {
        compiled.validate = this.compile(schema);
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
