/** Maps the native and CloudEvents wire formats onto ingest items, with per-field errors. */
import { Compile } from 'typebox/compile';
import type { TSchema } from 'typebox';
import { DEFAULT_JSON_MAX_DEPTH, isJsonSyntaxError, parseJsonText, type JsonTextParser } from '../../http/json-body.js';
import { AppError, type FieldError } from '../../platform/errors.js';
import type { Principal } from '../../identity/principal.js';
import { CloudEventSchema, NativeEventSchema, type CloudEventJson, type NativeEvent } from '../events.schemas.js';
import { checkCloudEventAttributes } from './envelope.js';
import type { IngestItem } from './ingest.service.js';

const safeJson: JsonTextParser = (text) => parseJsonText(text, DEFAULT_JSON_MAX_DEPTH);

function checker<T>(schema: TSchema) {
  const validator = Compile(schema);
  return (value: unknown, prefix = ''): T => {
    if (validator.Check(value)) return value as T;
    const errors: FieldError[] = [...validator.Errors(value)].filter((e) => e.keyword !== 'anyOf').map((e) => {
      const missing = e.keyword === 'required' ? `/${(e.params as { requiredProperties?: string[] }).requiredProperties?.[0] ?? ''}` : '';
      const extra = e.keyword === 'additionalProperties' ? `/${(e.params as { additionalProperties?: string[] }).additionalProperties?.[0] ?? ''}` : '';
      return { pointer: `${prefix}${e.instancePath}${missing}${extra}`, detail: e.message };
    });
    throw new AppError('VALIDATION_FAILED', { detail: `event is not valid: ${errors.map((e) => `${e.pointer || '/'} ${e.detail}`).join('; ')}`, errors });
  };
}

const checkNative = checker<NativeEvent>(NativeEventSchema);
const checkCloudEvent = checker<CloudEventJson>(CloudEventSchema);

function parseTime(value: string | undefined): number | null {
  if (value === undefined) return null;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new AppError('VALIDATION_FAILED', { detail: `time ${value} is not ISO 8601`, errors: [{ pointer: '/time', detail: 'not a date-time' }] });
  return ms;
}

export function nativeToItem(body: unknown): IngestItem {
  const event = checkNative(body);
  return {
    type: event.type,
    userId: event.userId ?? null,
    sessionId: event.sessionId ?? null,
    source: event.source ?? null,
    subject: event.subject ?? null,
    time: parseTime(event.time),
    category: event.category ?? null,
    sourceApp: event.sourceApp ?? null,
    idempotencyKey: event.idempotencyKey ?? null,
    data: event.data,
    format: 'native',
  };
}

/**
 * JSON inside `data_base64` goes through the body parser only, once: its depth limit runs before
 * any parsing and its `__proto__` rule applies; text that is not JSON after all is kept as text.
 */
function decodeData(ce: CloudEventJson, parseJson: JsonTextParser): unknown {
  if (ce.data_base64 === undefined) return ce.data;
  const text = Buffer.from(ce.data_base64, 'base64').toString('utf8');
  if (ce.datacontenttype?.includes('json')) {
    try {
      return parseJson(text);
    } catch (error) {
      if (!isJsonSyntaxError(error)) throw error;
    }
  }
  return { text };
}

/**
 * CloudEvents 1.0 → ingest item. Events with the same `source` and `id` are duplicates (the spec's
 * identity), so that pair is the idempotency key unless the `idempotencykey` extension is set.
 */
export function cloudEventToItem(body: unknown, principal: Principal, parseJson: JsonTextParser = safeJson): IngestItem {
  const ce = checkCloudEvent(body);
  checkCloudEventAttributes(ce);
  if (ce.tenantid !== undefined && ce.tenantid !== principal.tenant.slug && ce.tenantid !== principal.tenant.id) {
    throw new AppError('AUTH_FORBIDDEN_TENANT', { detail: 'tenantid names another tenant than your credentials', errors: [{ pointer: '/tenantid', detail: 'not your tenant' }] });
  }
  const data = decodeData(ce, parseJson);
  return {
    type: ce.type,
    userId: ce.userid ?? null,
    sessionId: ce.sessionid ?? null,
    source: ce.source,
    subject: ce.subject ?? null,
    time: parseTime(ce.time),
    category: ce.category ?? null,
    sourceApp: ce.sourceapp ?? null,
    idempotencyKey: ce.idempotencykey ?? `ce:${ce.source}:${ce.id}`,
    data: typeof data === 'string' ? { text: data } : data,
    format: 'cloudevents',
  };
}

/**
 * Percent-decodes a `ce-*` header value (HTTP binding 3.1.3.2). Senders that do not encode (the
 * JS SDK sends `50% off` as is) keep their text: only well-formed UTF-8 `%XX` runs are decoded.
 */
function decodeHeaderValue(value: string): string {
  return value.replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) => {
    try { return decodeURIComponent(run); } catch { return run; }
  });
}

/** Binary content mode: attributes in `ce-*` headers, the body is the data. */
export function binaryCloudEventToItem(headers: Record<string, string | string[] | undefined>, body: unknown, principal: Principal, parseJson: JsonTextParser = safeJson): IngestItem {
  const attributes: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (name.startsWith('ce-') && typeof value === 'string') attributes[name.slice(3)] = decodeHeaderValue(value);
  }
  if (headers['content-type']) attributes.datacontenttype = headers['content-type'];
  attributes.data = body;
  return cloudEventToItem(attributes, principal, parseJson);
}

export function isBinaryCloudEvent(headers: Record<string, unknown>): boolean {
  return typeof headers['ce-specversion'] === 'string';
}
