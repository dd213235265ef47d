/**
 * The event catalog: built-in types plus each tenant's registered types, with compiled
 * validators for `data`. Unknown types pass as `custom` unless the tenant is in strict mode.
 * A tenant's schema is checked by schema-guard.ts before it is stored, then compiled and run in
 * worker threads under time limits (schema-validator.pool.ts) with its patterns on RE2, so no
 * schema or event can stall the server (see docs/ingest.md, "Event catalog"). Built-in types are
 * validated here, on the main thread.
 */
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { LRUCache } from 'lru-cache';
import { AppError, type FieldError } from '../../platform/errors.js';
import type { Store, Tenant } from '../../ports/store.port.js';
import { BUILT_IN_BY_TYPE, BUILT_IN_TYPES, EVENT_TYPE_REGEX, type BuiltInType } from './builtin-types.js';
import { schemaKey, toFieldErrors } from './schema-cache.js';
import { checkSchemaSafety, DEFAULT_SCHEMA_LIMITS, unsafe, type SchemaLimits } from './schema-guard.js';
import { DEFAULT_SCHEMA_POOL, SchemaValidatorPool } from './schema-validator.pool.js';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

export interface ResolvedType {
  type: string;
  category: string;
  origin: 'built-in' | 'registered' | 'custom';
  /** Field errors of `data` (none when valid); registered types validate in a worker thread. */
  validate: ((data: unknown) => FieldError[] | Promise<FieldError[]>) | null;
  /** Derives the CloudEvents subject from data (built-in entity types), or null. */
  subjectOf: (data: unknown) => string | null;
}

const noSubject = () => null;

function subjectReader(subject: BuiltInType['subject']): (data: unknown) => string | null {
  if (!subject) return noSubject;
  return (data) => {
    const values = subject.fields.map((f) => (data as Record<string, unknown> | null)?.[f]);
    if (values.some((v) => typeof v !== 'string' && typeof v !== 'number')) return null;
    return `${subject.entity}/${values.join('/')}`;
  };
}

export interface CatalogListing {
  type: string;
  category: string;
  description: string;
  origin: 'built-in' | 'registered';
  schema: Record<string, unknown>;
}

const TYPE_MAX_LENGTH = 128;
/** Registered types per tenant, and their schemas' bytes together in maximal schemas (32 × 64 KiB = 2 MiB). */
const MAX_TYPES = 500;
const TOTAL_SCHEMAS_FACTOR = 32;
/** A caller's text as quoted back in an error: at most 128 characters. */
const shown = (text: string) => (text.length > TYPE_MAX_LENGTH ? `${text.slice(0, TYPE_MAX_LENGTH)}…` : text);

/** What a lookup keeps of a registered type: its category and its schema's text and key (the worker compiles it once). */
type Lookup = { category: string | null; schema: { key: string; text: string } | null; error?: AppError };

export interface CatalogOptions extends Partial<SchemaLimits> {
  /** Where tenant schemas are compiled and run (worker threads with time limits). */
  pool?: SchemaValidatorPool;
  /** Time limit for validating one event against a registered schema (CATALOG_VALIDATE_TIMEOUT_MS). */
  validateTimeoutMs?: number;
}

export class CatalogService {
  readonly #ajv = addFormats(new Ajv({ allErrors: true, strict: false, logger: false }));
  readonly #builtIn = new Map<string, ValidateFunction>();
  readonly #subjects = new Map<string, (data: unknown) => string | null>();
  readonly #registered = new LRUCache<string, Lookup>({ max: 5000, ttl: 5_000 });
  readonly #limits: SchemaLimits;
  readonly #pool: SchemaValidatorPool;

  constructor(private readonly store: Store, options: CatalogOptions = {}) {
    const { pool, validateTimeoutMs, ...limits } = options;
    this.#limits = { ...DEFAULT_SCHEMA_LIMITS, ...limits };
    this.#pool = pool ?? new SchemaValidatorPool({ ...DEFAULT_SCHEMA_POOL, validateTimeoutMs: validateTimeoutMs ?? DEFAULT_SCHEMA_POOL.validateTimeoutMs });
    for (const t of BUILT_IN_TYPES) {
      this.#builtIn.set(t.type, this.#ajv.compile(t.schema));
      this.#subjects.set(t.type, subjectReader(t.subject));
    }
  }

  /** Finds how to treat an event type for a tenant; throws when the name is invalid or strict mode rejects it. */
  async resolve(tenant: Tenant, type: string): Promise<ResolvedType> {
    if (type.length > TYPE_MAX_LENGTH || !EVENT_TYPE_REGEX.test(type)) {
      throw new AppError('EVENT_TYPE_INVALID', { detail: `"${shown(type)}" is not a valid event type (lowercase words separated by dots, at most ${TYPE_MAX_LENGTH} characters)`, errors: [{ pointer: '/type', detail: 'invalid event type name' }] });
    }
    const builtIn = BUILT_IN_BY_TYPE.get(type);
    if (builtIn) return { type, category: builtIn.category, origin: 'built-in', validate: this.#wrap(this.#builtIn.get(type)!), subjectOf: this.#subjects.get(type)! };
    const registered = await this.#lookup(tenant.id, type);
    if (registered.error) throw registered.error;
    if (registered.category !== null && registered.schema) {
      const { key, text } = registered.schema;
      const validate = (data: unknown) => this.#pool.run({ kind: 'validate', key, text, data }, tenant.id);
      return { type, category: registered.category, origin: 'registered', validate, subjectOf: noSubject };
    }
    if (tenant.settings.strictTypes) {
      throw new AppError('EVENT_TYPE_UNKNOWN', { detail: `"${type}" is not in the catalog and tenant ${tenant.slug} accepts only known types`, errors: [{ pointer: '/type', detail: 'unknown event type' }] });
    }
    return { type, category: 'custom', origin: 'custom', validate: null, subjectOf: noSubject };
  }

  /** Stops the schema workers. */
  async close(): Promise<void> {
    await this.#pool.close();
  }

  async list(tenantId: string): Promise<CatalogListing[]> {
    const registered = await this.store.catalog.list(tenantId);
    return [
      ...BUILT_IN_TYPES.map(({ subject: _subject, ...t }) => ({ ...t, origin: 'built-in' as const })),
      ...registered.map((e) => ({ type: e.type, category: e.category, description: e.description, schema: e.schema, origin: 'registered' as const })),
    ];
  }

  async get(tenantId: string, type: string): Promise<CatalogListing | undefined> {
    const builtIn = BUILT_IN_BY_TYPE.get(type);
    if (builtIn) return { type: builtIn.type, category: builtIn.category, description: builtIn.description, schema: builtIn.schema, origin: 'built-in' };
    const entry = await this.store.catalog.get(tenantId, type);
    return entry && { type: entry.type, category: entry.category, description: entry.description, schema: entry.schema, origin: 'registered' };
  }

  /** The largest schema accepted, in bytes (CATALOG_SCHEMA_MAX_BYTES). */
  get schemaMaxBytes(): number {
    return this.#limits.maxBytes;
  }

  async register(tenantId: string, input: { type: string; category: string; description: string; schema: Record<string, unknown> }): Promise<CatalogListing> {
    if (input.type.length > TYPE_MAX_LENGTH || !EVENT_TYPE_REGEX.test(input.type)) throw new AppError('EVENT_TYPE_INVALID', { detail: `"${shown(input.type)}" is not a valid event type`, errors: [{ pointer: '/type', detail: 'invalid event type name' }] });
    if (BUILT_IN_BY_TYPE.has(input.type)) throw new AppError('EVENT_TYPE_BUILT_IN', { detail: `${input.type} is built in` });
    checkSchemaSafety(input.schema, this.#limits);
    const text = JSON.stringify(input.schema);
    await this.#pool.run({ kind: 'compile', key: schemaKey(text), text }, tenantId);
    await this.#checkQuota(tenantId, input.type, input.schema);
    await this.store.catalog.upsert({ tenantId, ...input, createdAt: Date.now() });
    this.#registered.delete(`${tenantId}\u0000${input.type}`);
    return { ...input, origin: 'registered' };
  }

  /** A tenant's catalog is bounded too: at most MAX_TYPES types and 32 maximal schemas' worth of bytes. */
  async #checkQuota(tenantId: string, type: string, schema: Record<string, unknown>): Promise<void> {
    const others = (await this.store.catalog.list(tenantId)).filter((e) => e.type !== type);
    const maxTotal = this.#limits.maxBytes * TOTAL_SCHEMAS_FACTOR;
    const total = others.reduce((sum, e) => sum + Buffer.byteLength(JSON.stringify(e.schema)), Buffer.byteLength(JSON.stringify(schema)));
    if (others.length >= MAX_TYPES) throw unsafe(`the tenant's catalog holds at most ${MAX_TYPES} registered types; remove one first`, '/type');
    if (total > maxTotal) throw unsafe(`the tenant's registered schemas may take at most ${maxTotal} bytes together (this one would make ${total})`);
  }

  async remove(tenantId: string, type: string): Promise<boolean> {
    if (BUILT_IN_BY_TYPE.has(type)) throw new AppError('EVENT_TYPE_BUILT_IN', { detail: `${type} is built in` });
    this.#registered.delete(`${tenantId}\u0000${type}`);
    return this.store.catalog.remove(tenantId, type);
  }

  async #lookup(tenantId: string, type: string): Promise<Lookup> {
    const key = `${tenantId}\u0000${type}`;
    const cached = this.#registered.get(key);
    if (cached) return cached;
    const entry = (await this.store.catalog.get(tenantId, type)) ?? null;
    let value: Lookup = { category: null, schema: null };
    if (entry) {
      try {
        checkSchemaSafety(entry.schema, this.#limits);
        const text = JSON.stringify(entry.schema);
        value = { category: entry.category, schema: { key: schemaKey(text), text } };
      } catch (error) {
        // Stored before today's rules: events of this type are refused until it is registered again.
        const reason = error instanceof AppError ? error.message : String(error);
        value = { category: entry.category, schema: null, error: unsafe(`the registered schema of ${type} is no longer accepted (${reason}); register it again`) };
      }
    }
    this.#registered.set(key, value);
    return value;
  }

  #wrap(validate: ValidateFunction): (data: unknown) => FieldError[] {
    return (data) => (validate(data ?? {}) ? [] : toFieldErrors(validate.errors));
  }
}
