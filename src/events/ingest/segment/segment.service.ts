/**
 * Segment-spec ingestion: checks and maps each message, stitches anonymous ids to users, and
 * stores every accepted message as exactly one event through IngestService. That is all the
 * request path writes: traits and links are a projection of the stored events (the identity
 * feature's consumer), so they commit with the log or not at all, and a replay rebuilds them.
 */
import { AppError, isAppError, type FieldError } from '../../../platform/errors.js';
import type { Principal } from '../../../identity/principal.js';
import type { IngestService, ItemResult } from '../ingest.service.js';
import { mapMessage, parseMessage, type MappedMessage } from './segment.mapper.js';
import { MESSAGE_MAX_BYTES, type SegmentKind, type SegmentMessage } from './segment.schemas.js';

/** The identity lookups the member checks and the stitching of anonymous messages need. */
export interface SegmentIdentity {
  /** The user an anonymous id or alias was stitched to, if any. */
  resolve(tenantId: string, anonymousOrAlias: string): Promise<string | undefined>;
  /** True when `id` is already someone's (other than `asideFrom`): see the identity feature's store. */
  isKnown(tenantId: string, id: string, asideFrom?: string): Promise<boolean>;
}

export interface SegmentServiceDeps {
  ingest: IngestService;
  identity: SegmentIdentity;
}

/** What a batch request sets for all its messages (Segment merges it into each). */
export interface BatchDefaults {
  context?: Record<string, unknown> | null;
  integrations?: Record<string, unknown> | null;
  sentAt?: unknown;
}

const isDict = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);

/** Message fields win over the batch's, key by key (one level deep, as Segment does). */
function withDefaults(raw: unknown, defaults: BatchDefaults): unknown {
  if (!isDict(raw)) return raw;
  const merged: Record<string, unknown> = { ...raw };
  for (const key of ['context', 'integrations'] as const) {
    const outer = defaults[key];
    if (isDict(outer)) merged[key] = { ...outer, ...(isDict(raw[key]) ? raw[key] : {}) };
  }
  if (defaults.sentAt !== undefined && (raw.sentAt === undefined || raw.sentAt === null)) merged.sentAt = defaults.sentAt;
  return merged;
}

const idOf = (value: unknown): string | null => (value === null || value === undefined || value === '' ? null : String(value));

function forbidden(pointer: string, detail: string): AppError {
  return new AppError('AUTH_FORBIDDEN_USER', { detail, errors: [{ pointer, detail: 'not your user' }] });
}

/** The ids besides userId that an identity message ties to its sender. */
function linkedIds(kind: SegmentKind, message: SegmentMessage): Array<{ id: string | null; pointer: string }> {
  if (kind !== 'identify' && kind !== 'group' && kind !== 'alias') return [];
  const anonymous = { id: idOf(message.anonymousId), pointer: '/anonymousId' };
  return kind === 'alias' ? [{ id: idOf(message.previousId), pointer: '/previousId' }, anonymous] : [anonymous];
}

function rejected(index: number, error: AppError): ItemResult {
  return { index, status: 'rejected', error: { code: error.code, status: error.status, detail: error.message, ...(error.errors ? { errors: error.errors } : {}) } };
}

export class SegmentService {
  constructor(private readonly deps: SegmentServiceDeps) {}

  /** One message from a single-message endpoint; a rejection is thrown as its AppError. */
  async one(principal: Principal, kind: SegmentKind, raw: unknown): Promise<{ id: string; duplicate: boolean; warnings?: FieldError[] }> {
    const [result] = await this.#run(principal, [raw], kind, {});
    if (result?.status === 'rejected') {
      throw new AppError(result.error.code as never, { detail: result.error.detail, errors: result.error.errors });
    }
    return { id: result!.id, duplicate: result!.status === 'duplicate', ...(result!.warnings ? { warnings: result!.warnings } : {}) };
  }

  /** A batch: each message is checked on its own; valid ones are stored even when others fail. */
  batch(principal: Principal, messages: unknown[], defaults: BatchDefaults): Promise<ItemResult[]> {
    return this.#run(principal, messages, null, defaults);
  }

  async #run(principal: Principal, messages: unknown[], routeKind: SegmentKind | null, defaults: BatchDefaults): Promise<ItemResult[]> {
    const prepared = await this.#prepare(principal, messages, routeKind, defaults);
    const valid = prepared.flatMap((p, index) => (p instanceof AppError ? [] : [{ mapped: p, index }]));
    const stored = await this.deps.ingest.ingest(principal, valid.map((v) => v.mapped.item));
    const storedAt = new Map(valid.map((v, i) => [v.index, stored[i]!]));
    return prepared.map((p, index) => (p instanceof AppError ? rejected(index, p) : { ...storedAt.get(index)!, index }));
  }

  /** Checks and maps each message in order, so an identify stitches the anonymous messages after it. */
  async #prepare(principal: Principal, messages: unknown[], routeKind: SegmentKind | null, defaults: BatchDefaults): Promise<Array<MappedMessage | AppError>> {
    const receivedAt = Date.now();
    const stitched = new Map<string, string>();
    const out: Array<MappedMessage | AppError> = [];
    for (const raw of messages) {
      try {
        const size = Buffer.byteLength(JSON.stringify(raw) ?? '');
        if (size > MESSAGE_MAX_BYTES) {
          throw new AppError('MESSAGE_TOO_LARGE', { detail: `a message may be at most ${MESSAGE_MAX_BYTES} bytes (32 KB); this one has ${size}` });
        }
        const { kind, message } = parseMessage(withDefaults(raw, defaults), routeKind);
        if (principal.role === 'member') await this.#checkMember(principal, kind, message, stitched);
        const userId = await this.#userOf(principal, message.userId, message.anonymousId, stitched);
        const mapped = mapMessage(kind, message, { userId, trackMapping: principal.tenant.settings.trackMapping ?? {}, receivedAt });
        for (const e of mapped.effects) if (e.kind === 'link' && e.link !== 'group') stitched.set(e.fromId, e.toId);
        out.push(mapped);
      } catch (error) {
        if (!isAppError(error)) throw error;
        out.push(error);
      }
    }
    return out;
  }

  /**
   * A member sends messages about their own user only, and an identity message (identify, group,
   * alias) may carry other ids (anonymousId, previousId) only if they are the member's or nobody
   * else's: an id stitched to another user, or known as someone (traits, links, events about it,
   * or events carrying it as anonymous id that are not about this member), is refused with 403
   * before anything is stored.
   */
  async #checkMember(principal: Principal, kind: SegmentKind, message: SegmentMessage, stitched: Map<string, string>): Promise<void> {
    const own = principal.userId ?? '';
    const userId = idOf(message.userId);
    if (userId !== null && userId !== own) throw forbidden('/userId', 'a member may only send messages about their own user');
    for (const { id, pointer } of linkedIds(kind, message)) {
      if (id === null || id === own) continue;
      const tenantId = principal.tenant.id;
      const owner = stitched.get(id) ?? (await this.deps.identity.resolve(tenantId, id));
      if (owner === own) continue;
      if (owner !== undefined || (await this.deps.identity.isKnown(tenantId, id, own))) {
        throw forbidden(pointer, 'a member may only link ids that are theirs or not yet used by anyone else');
      }
    }
  }

  /** userId, else the user the anonymous id was stitched to (earlier in this request or before). */
  async #userOf(principal: Principal, userId: unknown, anonymousId: unknown, stitched: Map<string, string>): Promise<string | null> {
    if (userId !== null && userId !== undefined && userId !== '') return String(userId);
    if (principal.role === 'member') return principal.userId;
    if (anonymousId === null || anonymousId === undefined || anonymousId === '') return null;
    const anon = String(anonymousId);
    return stitched.get(anon) ?? (await this.deps.identity.resolve(principal.tenant.id, anon)) ?? null;
  }
}
