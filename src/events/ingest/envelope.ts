/**
 * The event envelope's limits, defined once for every entry point (native JSON, CloudEvents in all
 * content modes, Segment, automatic tracking, documents): string attributes have a maximum length,
 * and the data a maximum serialised size (EVENT_MAX_BYTES). IngestService enforces both, so no
 * path can bypass them; the wire formats only translate the pointers into their own field names.
 */
import { AppError, type FieldError } from '../../platform/errors.js';

/** Where an item came from: it names the idempotency-key namespace and the pointers of errors. */
export type WireFormat = 'native' | 'cloudevents' | 'segment';

/**
 * The source of every event the Segment API stores. It is reserved: identity facts (traits,
 * links) are read from events with this source, and only the Segment API checks a member's
 * claims on the ids in them.
 */
export const SEGMENT_SOURCE = '/segment';

/** Longest value (characters) of each string attribute of the envelope. */
export const ENVELOPE_MAX_LENGTH = {
  type: 128,
  userId: 256,
  sessionId: 256,
  /** URI-references: a source names an app or path, a subject may carry a 256-character document id. */
  source: 1024,
  subject: 1024,
  category: 64,
  sourceApp: 128,
  idempotencyKey: 256,
} as const;

export type EnvelopeField = keyof typeof ENVELOPE_MAX_LENGTH;

/** Longest CloudEvents `id` and extension attribute (or `ce-*` header) value. */
export const CLOUDEVENT_ATTRIBUTE_MAX_LENGTH = 256;

/** CloudEvents attributes that are URI-references may be as long as an envelope source. */
const CLOUDEVENT_URI_ATTRIBUTES = new Set(['source', 'subject', 'dataschema']);

/** A CloudEvent's key is `ce:<source>:<id>` unless it sets `idempotencykey`: it may be that long. */
const MAX_LENGTH_BY_FORMAT: Readonly<Record<WireFormat, Partial<Record<EnvelopeField, number>>>> = {
  native: {},
  cloudevents: { idempotencyKey: 'ce::'.length + ENVELOPE_MAX_LENGTH.source + CLOUDEVENT_ATTRIBUTE_MAX_LENGTH },
  segment: {},
};

/** Field names of the envelope in each wire format (for error pointers). */
const POINTERS: Readonly<Record<WireFormat, Readonly<Record<EnvelopeField, string>>>> = {
  native: { type: '/type', userId: '/userId', sessionId: '/sessionId', source: '/source', subject: '/subject', category: '/category', sourceApp: '/sourceApp', idempotencyKey: '/idempotencyKey' },
  cloudevents: { type: '/type', userId: '/userid', sessionId: '/sessionid', source: '/source', subject: '/subject', category: '/category', sourceApp: '/sourceapp', idempotencyKey: '/idempotencykey' },
  segment: { type: '/event', userId: '/userId', sessionId: '/context/sessionId', source: '/source', subject: '/subject', category: '/category', sourceApp: '/context/app/name', idempotencyKey: '/messageId' },
};

export function pointerOf(format: WireFormat, field: EnvelopeField): string {
  return POINTERS[format][field];
}

/** Throws 400 VALIDATION_FAILED naming every envelope attribute that is too long. */
export function checkEnvelope(item: Partial<Record<EnvelopeField, string | null | undefined>>, format: WireFormat): void {
  const errors: FieldError[] = [];
  for (const field of Object.keys(ENVELOPE_MAX_LENGTH) as EnvelopeField[]) {
    const value = item[field];
    const max = MAX_LENGTH_BY_FORMAT[format][field] ?? ENVELOPE_MAX_LENGTH[field];
    if (typeof value === 'string' && value.length > max) {
      errors.push({ pointer: pointerOf(format, field), detail: `must be at most ${max} characters (got ${value.length})` });
    }
  }
  if (format !== 'segment' && item.source === SEGMENT_SOURCE) {
    errors.push({ pointer: pointerOf(format, 'source'), detail: `${SEGMENT_SOURCE} is reserved for events of the Segment API` });
  }
  if (errors.length > 0) {
    throw new AppError('VALIDATION_FAILED', { detail: `event is not valid: ${errors.map((e) => `${e.pointer} ${e.detail}`).join('; ')}`, errors });
  }
}

/**
 * CloudEvents attributes (structured, batch, or binary-mode `ce-*` headers): `id`, `idempotencykey`
 * and every extension at most 256 characters, URI-references at most 1024; 400 with a pointer.
 */
export function checkCloudEventAttributes(ce: Record<string, unknown>): void {
  const errors: FieldError[] = [];
  for (const [name, value] of Object.entries(ce)) {
    if (typeof value !== 'string' || name === 'data' || name === 'data_base64') continue;
    const max = CLOUDEVENT_URI_ATTRIBUTES.has(name) ? ENVELOPE_MAX_LENGTH.source : CLOUDEVENT_ATTRIBUTE_MAX_LENGTH;
    if (value.length > max) errors.push({ pointer: `/${name}`, detail: `must be at most ${max} characters (got ${value.length})` });
  }
  if (errors.length > 0) {
    throw new AppError('VALIDATION_FAILED', { detail: `CloudEvent is not valid: ${errors.map((e) => `${e.pointer} ${e.detail}`).join('; ')}`, errors });
  }
}

/** Throws 413 EVENT_TOO_LARGE when the serialised data is over the limit. */
export function checkDataSize(serialised: string, maxBytes: number): void {
  // A string has at most 3 UTF-8 bytes per UTF-16 unit: skip the exact count when it cannot be over.
  const bytes = serialised.length * 3 <= maxBytes ? serialised.length : Buffer.byteLength(serialised);
  if (bytes > maxBytes) {
    throw new AppError('EVENT_TOO_LARGE', {
      detail: `an event's data may be at most ${maxBytes} bytes as JSON (EVENT_MAX_BYTES); this one has ${bytes}`,
      errors: [{ pointer: '/data', detail: `at most ${maxBytes} bytes` }],
    });
  }
}

/** A header value cut to `max` characters (tracking never rejects a request because of a header). */
export function clip(value: string | string[] | undefined, max: number): string | null {
  const text = Array.isArray(value) ? value[0] : value;
  if (typeof text !== 'string' || text === '') return null;
  return text.length > max ? text.slice(0, max) : text;
}
