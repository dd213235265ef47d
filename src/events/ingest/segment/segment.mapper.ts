/**
 * Segment-spec messages → ingest items. One message becomes exactly one event; identify, group
 * and alias also carry identity facts (traits, links): the identity projection reads them from
 * the stored event, and the service uses the links to stitch later messages of the same request.
 */
import { Compile, type Validator } from 'typebox/compile';
import type { TSchema } from 'typebox';
import { AppError, type FieldError } from '../../../platform/errors.js';
import { EVENT_TYPE_REGEX } from '../../catalog/builtin-types.js';
import { ENVELOPE_MAX_LENGTH, SEGMENT_SOURCE } from '../envelope.js';
import type { IngestItem } from '../ingest.service.js';
import { MESSAGE_SCHEMAS, SEGMENT_KINDS, type SegmentKind, type SegmentMessage } from './segment.schemas.js';

/** An identity fact a message establishes (the identity projection derives the same from its event). */
export type IdentityEffect =
  | { kind: 'traits'; userId: string; traits: Record<string, unknown> }
  | { kind: 'link'; link: 'anonymous' | 'alias' | 'group'; fromId: string; toId: string };

export interface MappedMessage {
  kind: SegmentKind;
  item: IngestItem;
  effects: IdentityEffect[];
}

export interface MapContext {
  /** The message's user: its userId, else the user its anonymousId was stitched to, else null. */
  userId: string | null;
  trackMapping: Readonly<Record<string, string>>;
  /** Receipt time (ms), to correct client clocks from sentAt/originalTimestamp. */
  receivedAt: number;
}

interface TrackDefault { type: string; fits: (properties: Record<string, unknown>) => boolean }

const orderIdOf = (p: Record<string, unknown>): string | null => {
  const value = p.orderId ?? p.order_id;
  return typeof value === 'string' && value !== '' ? value : typeof value === 'number' ? String(value) : null;
};
const hasOrder = (p: Record<string, unknown>) => orderIdOf(p) !== null;
const hasQuery = (p: Record<string, unknown>) => typeof p.query === 'string' && p.query !== '';

/**
 * Segment e-commerce spec names (v2, and v1's older spellings) with a built-in counterpart. A
 * default applies only when the properties carry what the built-in type requires; otherwise the
 * event keeps its slug type, so a message Segment would accept is never lost.
 */
export const DEFAULT_TRACK_TYPES: Readonly<Record<string, TrackDefault>> = {
  'Order Completed': { type: 'order.placed', fits: hasOrder },
  'Completed Order': { type: 'order.placed', fits: hasOrder },
  'Order Cancelled': { type: 'order.cancelled', fits: hasOrder },
  'Products Searched': { type: 'search.performed', fits: hasQuery },
  'Searched Products': { type: 'search.performed', fits: hasQuery },
};

/** Built-in types that name a field differently from Segment's spec. */
const TYPE_ADAPTERS: Readonly<Record<string, (p: Record<string, unknown>) => Record<string, unknown>>> = {
  'order.placed': (p) => (hasOrder(p) ? { ...p, orderId: orderIdOf(p) } : p),
  'order.cancelled': (p) => (hasOrder(p) ? { ...p, orderId: orderIdOf(p) } : p),
};

/** "Video Played" → `video_played`; names that already are valid types stay as they are. */
export function slugifyEventName(name: string): string {
  const lower = name.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase().trim();
  if (EVENT_TYPE_REGEX.test(lower) && lower.length <= 128) return lower;
  const slug = lower.replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '').slice(0, 128).replace(/_+$/, '');
  return slug === '' ? 'track' : slug;
}

/** The event type of a `track` call: the tenant's mapping wins, then the defaults, then the slug. */
export function trackType(name: string, properties: Record<string, unknown>, mapping: Readonly<Record<string, string>>): string {
  const mapped = Object.hasOwn(mapping, name) ? mapping[name] : undefined; // "constructor" is an event name too
  if (typeof mapped === 'string' && mapped !== '') return mapped;
  const fallback = Object.hasOwn(DEFAULT_TRACK_TYPES, name) ? DEFAULT_TRACK_TYPES[name] : undefined;
  if (fallback && fallback.fits(properties)) return fallback.type;
  return slugifyEventName(name);
}

const validators = new Map<SegmentKind, Validator>(SEGMENT_KINDS.map((kind) => [kind, Compile(MESSAGE_SCHEMAS[kind] as TSchema)]));

function invalid(errors: FieldError[]): AppError {
  return new AppError('VALIDATION_FAILED', { detail: `message is not valid: ${errors.map((e) => `${e.pointer || '/'} ${e.detail}`).join('; ')}`, errors });
}

/** One error per field; union members' type errors fold into "must be string or number or null". */
function fieldErrors(validator: Validator, value: unknown): FieldError[] {
  const byPointer = new Map<string, { types: string[]; messages: string[] }>();
  for (const e of validator.Errors(value)) {
    if (e.keyword === 'anyOf') continue;
    const params = e.params as { requiredProperties?: string[]; type?: string };
    const pointer = e.keyword === 'required' ? `${e.instancePath}/${params.requiredProperties?.[0] ?? ''}` : e.instancePath;
    const entry = byPointer.get(pointer) ?? { types: [], messages: [] };
    if (e.keyword === 'type' && params.type) entry.types.push(params.type);
    else entry.messages.push(e.message);
    byPointer.set(pointer, entry);
  }
  return [...byPointer].map(([pointer, e]) => ({ pointer, detail: e.messages[0] ?? `must be ${e.types.join(' or ')}` }));
}

const idString = (value: string | number | null | undefined): string | null =>
  value === null || value === undefined || value === '' ? null : String(value);

/** Fields a kind cannot do without: a null there is kept, so the error names the field. */
const REQUIRED: Readonly<Record<SegmentKind, readonly string[]>> = {
  track: ['event'], identify: [], page: [], screen: [], group: ['groupId'], alias: ['previousId', 'userId'],
};

/** Segment's rule: an optional field sent as null (analytics.js sends `"category": null`) is absent. */
function withoutNulls(raw: Record<string, unknown>, kind: SegmentKind): Record<string, unknown> {
  return Object.fromEntries(Object.entries(raw).filter(([key, value]) => value !== null || REQUIRED[kind].includes(key)));
}

/** Checks a message against its kind's schema; `routeKind` is set by the single-message endpoints. */
export function parseMessage(input: unknown, routeKind: SegmentKind | null): { kind: SegmentKind; message: SegmentMessage } {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) throw invalid([{ pointer: '', detail: 'must be a JSON object' }]);
  const declared = (input as { type?: unknown }).type ?? undefined;
  const kind = routeKind ?? (SEGMENT_KINDS.includes(declared as SegmentKind) ? (declared as SegmentKind) : null);
  if (kind === null) throw invalid([{ pointer: '/type', detail: `must be one of ${SEGMENT_KINDS.join(', ')}` }]);
  if (declared !== undefined && declared !== kind) throw invalid([{ pointer: '/type', detail: `must be ${kind} on this endpoint` }]);
  const raw = withoutNulls(input as Record<string, unknown>, kind);
  const validator = validators.get(kind)!;
  if (!validator.Check(raw)) throw invalid(fieldErrors(validator, raw));
  const message = raw as SegmentMessage;
  if (idString(message.userId) === null && idString(message.anonymousId) === null) {
    throw invalid([{ pointer: '/userId', detail: 'userId or anonymousId is required' }]);
  }
  return { kind, message };
}

const TIME_FIELDS = ['timestamp', 'sentAt', 'originalTimestamp'] as const;
type TimeField = typeof TIME_FIELDS[number];

/** ISO 8601 / RFC 3339 date or date-time (a space may separate date and time). */
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}(?:[Tt ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:[Zz]|[+-]\d{2}(?::?\d{2})?)?)?$/;

function parseIso(value: unknown): number | null {
  if (typeof value !== 'string' || value.length > 64 || !ISO_DATE_TIME.test(value)) return null;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : null;
}

export interface MessageTimes {
  /** The event time (ms), or null for the receipt time. */
  time: number | null;
  /** Optional timestamps that are not ISO 8601, as sent (stored in `data.rawTimestamps`). */
  raw: Partial<Record<TimeField, unknown>>;
  warnings: FieldError[];
}

/**
 * Segment's rule: `timestamp` if given, else `originalTimestamp` corrected by the client's clock
 * skew. An optional timestamp that is not ISO 8601 is never a rejection: it counts as absent,
 * is kept as sent, and is reported as a warning; without any usable one the receipt time orders the event.
 */
export function readTimes(message: SegmentMessage, receivedAt: number): MessageTimes {
  const parsed: Partial<Record<TimeField, number>> = {};
  const out: MessageTimes = { time: null, raw: {}, warnings: [] };
  for (const field of TIME_FIELDS) {
    const value = message[field];
    if (value === undefined || value === null) continue;
    const ms = parseIso(value);
    if (ms !== null) { parsed[field] = ms; continue; }
    out.raw[field] = value;
    out.warnings.push({ pointer: `/${field}`, detail: `not an ISO 8601 date-time: kept in data.rawTimestamps.${field} and not used for the event time` });
  }
  const { timestamp, sentAt, originalTimestamp } = parsed;
  const corrected = originalTimestamp !== undefined && sentAt !== undefined ? receivedAt - (sentAt - originalTimestamp) : originalTimestamp;
  out.time = timestamp ?? corrected ?? null;
  return out;
}

export function eventTime(message: SegmentMessage, receivedAt: number): number | null {
  return readTimes(message, receivedAt).time;
}

const text = (value: unknown): string | null =>
  typeof value === 'string' && value !== '' ? value : typeof value === 'number' ? String(value) : null;

function sessionOf(context: Record<string, unknown>, properties: Record<string, unknown>): string | null {
  return text(context.sessionId) ?? text(properties.sessionId);
}

function sourceAppOf(context: Record<string, unknown>): string | null {
  const app = context.app as { name?: unknown } | null | undefined;
  const library = context.library as { name?: unknown } | null | undefined;
  return text(app?.name) ?? text(library?.name);
}

/** A value read from the message for the envelope, unless it is longer than the envelope allows (then a warning). */
function fitting(value: string | null, field: 'sessionId' | 'sourceApp', warnings: FieldError[]): string | null {
  const max = ENVELOPE_MAX_LENGTH[field];
  if (value === null || value.length <= max) return value;
  warnings.push({ pointer: field === 'sessionId' ? '/context/sessionId' : '/context/app/name', detail: `longer than ${max} characters: kept in data, not used as ${field}` });
  return null;
}

/** The message's own payload for `data`, with its event type. */
function payloadOf(kind: SegmentKind, message: SegmentMessage, trackMapping: MapContext['trackMapping']): { type: string; payload: Record<string, unknown> } {
  const properties = message.properties ?? {};
  switch (kind) {
    case 'track': {
      const type = trackType(message.event!, properties, trackMapping);
      const adapt = Object.hasOwn(TYPE_ADAPTERS, type) ? TYPE_ADAPTERS[type] : undefined;
      return { type, payload: { ...(adapt ? adapt(properties) : properties), event: message.event } };
    }
    case 'page':
    case 'screen': {
      const named = { ...(message.name !== undefined ? { name: message.name } : {}), ...(message.category !== undefined ? { category: message.category } : {}) };
      return { type: kind === 'page' ? 'page.viewed' : 'screen.viewed', payload: { ...properties, ...named } };
    }
    case 'identify': return { type: 'user.identified', payload: { traits: message.traits ?? {} } };
    case 'group': return { type: 'user.grouped', payload: { groupId: String(message.groupId), traits: message.traits ?? {} } };
    case 'alias': return { type: 'user.aliased', payload: { previousId: String(message.previousId) } };
  }
}

/** Identity facts: traits per user (or per anonymous id until stitched), and links. */
function effectsOf(kind: SegmentKind, message: SegmentMessage, userId: string | null, anonymousId: string | null): IdentityEffect[] {
  const effects: IdentityEffect[] = [];
  if (kind === 'identify' || kind === 'alias') {
    const from = kind === 'alias' ? String(message.previousId) : anonymousId;
    if (from !== null && userId !== null && from !== userId) effects.push({ kind: 'link', link: kind === 'alias' ? 'alias' : 'anonymous', fromId: from, toId: userId });
  }
  const owner = userId ?? anonymousId;
  if (kind === 'identify' && owner !== null && message.traits && Object.keys(message.traits).length > 0) {
    effects.push({ kind: 'traits', userId: owner, traits: message.traits });
  }
  if (kind === 'group' && owner !== null) effects.push({ kind: 'link', link: 'group', fromId: owner, toId: String(message.groupId) });
  return effects;
}

/** Maps a checked message onto one ingest item and the identity facts it carries. */
export function mapMessage(kind: SegmentKind, message: SegmentMessage, ctx: MapContext): MappedMessage {
  const context = message.context ?? {};
  const anonymousId = idString(message.anonymousId);
  const { type, payload } = payloadOf(kind, message, ctx.trackMapping);
  const times = readTimes(message, ctx.receivedAt);
  const warnings = times.warnings;
  const envelope = {
    ...(anonymousId !== null ? { anonymousId } : {}),
    ...(message.context ? { context: message.context } : {}),
    ...(message.integrations && Object.keys(message.integrations).length > 0 ? { integrations: message.integrations } : {}),
    ...(Object.keys(times.raw).length > 0 ? { rawTimestamps: times.raw } : {}),
  };
  const item: IngestItem = {
    type,
    userId: ctx.userId,
    sessionId: fitting(sessionOf(context, message.properties ?? {}), 'sessionId', warnings),
    source: SEGMENT_SOURCE,
    time: times.time,
    sourceApp: fitting(sourceAppOf(context), 'sourceApp', warnings),
    idempotencyKey: message.messageId ?? null,
    data: { ...payload, ...envelope },
    format: 'segment',
    // A client's retry re-sends the same message with a new sentAt: the rest identifies the body.
    fingerprint: { ...message, type: kind, sentAt: undefined, writeKey: undefined },
    ...(warnings.length > 0 ? { warnings } : {}),
  };
  return { kind, item, effects: effectsOf(kind, message, ctx.userId, anonymousId) };
}
