/**
 * Ingest: validate against the catalog → sanitise → enrich → append to the log and outbox in one
 * transaction. Every entry point (native, CloudEvents, Segment, automatic tracking) ends here.
 */
import { AppError, isAppError, type FieldError } from '../../platform/errors.js';
import { newId } from '../../platform/ids.js';
import type { Metrics } from '../../platform/metrics.js';
import type { NewEvent } from '../../ports/events.types.js';
import type { AppendResult, Store } from '../../ports/store.port.js';
import type { Principal } from '../../identity/principal.js';
import type { CatalogService } from '../catalog/catalog.service.js';
import { checkDataSize, checkEnvelope, pointerOf, type WireFormat } from './envelope.js';
import { GroupCommit } from './group-commit.js';
import { bodyHash, scopedKey } from './idempotency.js';

/** One event as an entry point hands it over (already mapped from its wire format). */
export interface IngestItem {
  type: string;
  userId?: string | null;
  sessionId?: string | null;
  source?: string | null;
  subject?: string | null;
  /** When it happened (ms); defaults to the receipt time. */
  time?: number | null;
  category?: string | null;
  sourceApp?: string | null;
  idempotencyKey?: string | null;
  data?: unknown;
  /** Where it came from (default native): the namespace of its idempotency key, and error pointers. */
  format?: WireFormat;
  /** What identifies the request's body for idempotency (default: the normalised item, data sanitised). */
  fingerprint?: unknown;
  /** Problems the entry point tolerated (e.g. an unparseable optional timestamp), reported with the result. */
  warnings?: FieldError[];
}

export type ItemResult =
  | { index: number; status: 'accepted' | 'duplicate'; id: string; warnings?: FieldError[] }
  | { index: number; status: 'rejected'; error: { code: string; status: number; detail: string; errors?: FieldError[] } };

export interface IngestDeps {
  store: Store;
  catalog: CatalogService;
  metrics: Metrics;
  sanitise: (value: unknown) => unknown;
  idempotencyWindowMs: number;
  /** Largest `data` (serialised as JSON) of one event; default 256 KiB (EVENT_MAX_BYTES). */
  eventMaxBytes?: number;
  /** Called after each commit so the relay moves the new events at once. */
  onAppended: () => void;
}

export class IngestService {
  readonly #commits: GroupCommit;

  constructor(private readonly deps: IngestDeps) {
    this.#commits = new GroupCommit(deps.store.events);
  }

  /** Ingests a batch: valid items are stored even when others are rejected. */
  async ingest(principal: Principal, items: IngestItem[]): Promise<ItemResult[]> {
    const receivedAt = Date.now();
    const results: ItemResult[] = new Array(items.length);
    const accepted: Array<{ index: number; event: NewEvent }> = [];
    for (const [index, item] of items.entries()) {
      try {
        accepted.push({ index, event: await this.#prepare(principal, item, receivedAt) });
      } catch (error) {
        if (!isAppError(error)) throw error;
        results[index] = rejection(index, error);
      }
    }
    if (accepted.length > 0) {
      const appended = await this.#commits.append(accepted.map((a) => a.event), receivedAt - this.deps.idempotencyWindowMs);
      for (const [i, { index, event }] of accepted.entries()) {
        results[index] = this.#outcome(index, appended[i]!, items[index]!);
        if (results[index]!.status === 'accepted') this.deps.metrics.eventsIngested.inc({ type: event.type });
      }
      this.deps.onAppended();
    }
    return results;
  }

  #outcome(index: number, appended: AppendResult, item: IngestItem): ItemResult {
    if (appended.conflict) {
      const pointer = pointerOf(item.format ?? 'native', 'idempotencyKey');
      return rejection(index, new AppError('IDEMPOTENCY_CONFLICT', {
        detail: 'this idempotency key was used before with a different body; send the same body to get the original result, or use a new key',
        errors: [{ pointer, detail: 'already used with a different body' }],
      }));
    }
    const warnings = item.warnings && item.warnings.length > 0 ? { warnings: item.warnings } : {};
    return { index, status: appended.duplicate ? 'duplicate' : 'accepted', id: appended.id, ...warnings };
  }

  /** Ingests one event; a rejection is thrown as its AppError. */
  async ingestOne(principal: Principal, item: IngestItem): Promise<{ id: string; duplicate: boolean }> {
    const [result] = await this.ingest(principal, [item]);
    if (!result || result.status === 'rejected') {
      const error = result?.status === 'rejected' ? result.error : { code: 'INTERNAL', detail: 'no result' };
      throw new AppError(error.code as never, { detail: error.detail, errors: 'errors' in error ? error.errors : undefined });
    }
    return { id: result.id, duplicate: result.status === 'duplicate' };
  }

  async #prepare(principal: Principal, item: IngestItem, receivedAt: number): Promise<NewEvent> {
    const format = item.format ?? 'native';
    checkEnvelope(item, format);
    const userId = this.#userFor(principal, item.userId ?? null, format);
    const resolved = await this.deps.catalog.resolve(principal.tenant, item.type);
    const data = item.data === undefined ? {} : this.deps.sanitise(item.data);
    checkDataSize(JSON.stringify(data) ?? 'null', this.deps.eventMaxBytes ?? DEFAULT_EVENT_MAX_BYTES);
    const problems = (await resolved.validate?.(data)) ?? [];
    if (problems.length > 0) {
      throw new AppError('EVENT_SCHEMA_INVALID', {
        detail: `data of ${item.type} does not match its schema: ${problems.map((p) => `${p.pointer} ${p.detail}`).join('; ')}`,
        errors: problems,
      });
    }
    const event: NewEvent = {
      id: newId(receivedAt),
      tenantId: principal.tenant.id,
      type: item.type,
      source: item.source || `/tenants/${principal.tenant.slug}`,
      subject: item.subject ?? resolved.subjectOf(data),
      userId,
      sessionId: item.sessionId ?? null,
      category: resolved.origin === 'custom' ? (item.category || 'custom') : resolved.category,
      sourceApp: item.sourceApp ?? null,
      time: item.time ?? receivedAt,
      receivedAt,
      idempotencyKey: item.idempotencyKey ?? null,
      // Tracked events carry the caller's principal too: a member's are 'member' (they describe their own actions).
      senderRole: principal.role,
      data,
    };
    return withIdempotency(event, item, format, principal);
  }

  /** Members write events about themselves only. */
  #userFor(principal: Principal, userId: string | null, format: WireFormat): string | null {
    if (principal.role !== 'member') return userId;
    if (userId !== null && userId !== principal.userId) {
      throw new AppError('AUTH_FORBIDDEN_USER', { detail: 'a member may only send events about their own user', errors: [{ pointer: pointerOf(format, 'userId'), detail: 'not your user id' }] });
    }
    return principal.userId;
  }
}

const DEFAULT_EVENT_MAX_BYTES = 256 * 1024;

/**
 * The key as the idempotency table records it (scoped by source and member's user) and the hash
 * of what identifies the body: the entry point's fingerprint, else the normalised item (its time
 * as sent, not the receipt time a retry would change).
 */
function withIdempotency(event: NewEvent, item: IngestItem, format: WireFormat, principal: Principal): NewEvent {
  if (event.idempotencyKey === null) return event;
  // The sender's role is not part of the body: hashes stay those of keys stored before it was recorded.
  const fingerprint = item.fingerprint ?? { ...event, id: undefined, receivedAt: undefined, tenantId: undefined, senderRole: undefined, time: item.time ?? null };
  return { ...event, idempotency: { key: scopedKey(format, principal, event.idempotencyKey), bodyHash: bodyHash(fingerprint) } };
}

function rejection(index: number, error: AppError): ItemResult {
  return { index, status: 'rejected', error: { code: error.code, status: error.status, detail: error.message, ...(error.errors ? { errors: error.errors } : {}) } };
}
