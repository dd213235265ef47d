/**
 * Subject and name scheme of the NATS adapters.
 *
 * - published events: `<prefix>evt.<tenantId>.<type>`; a type's dots are subject token separators,
 *   so `article.created` is two tokens and the pattern `article.*` (our prefix semantics, see
 *   platform/patterns.ts) becomes `evt.*.article.>` — NATS `>` matches one or more tokens, which is
 *   exactly "starts with `article.`".
 * - replays for one consumer: `<prefix>rpl.<consumer>.<tenantId>`
 * - realtime fan-out: `<prefix>rt.<tenantId>`
 *
 * Characters NATS does not allow inside a token (whitespace, `*`, `>`) and `%` itself are
 * percent-encoded, and an empty token becomes `%`, so any tenant id or type yields a valid subject.
 */
import { typeMatches } from '../../../platform/patterns.js';

/** Encodes one subject token (no dots inside). */
export function encodeToken(value: string): string {
  if (value === '') return '%';
  return value.replace(/[\s*>%]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0').toUpperCase()}`);
}

/** Reverses {@link encodeToken}. */
export function decodeToken(token: string): string {
  if (token === '%') return '';
  return token.replace(/%([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
}

/** A dotted type as subject tokens, each encoded. */
function typeTokens(type: string): string {
  return type.split('.').map(encodeToken).join('.');
}

export interface SubjectScheme {
  event(tenantId: string, type: string): string;
  replay(consumer: string, tenantId: string): string;
  realtime(tenantId: string): string;
  /** Every subject the stream must hold. */
  streamSubjects(): string[];
  /** Filter subjects selecting a subscription's live events: overlap-free, most general first. */
  eventFilters(types: readonly string[]): string[];
  replayFilter(consumer: string): string;
  realtimeWildcard(): string;
  /** Tenant id of a realtime subject, or undefined when the subject is not one. */
  realtimeTenant(subject: string): string | undefined;
}

/** The subject scheme under a prefix (`''` in production; tests use their own to stay isolated). */
export function subjectScheme(prefix: string): SubjectScheme {
  const p = prefix === '' ? '' : `${prefix.replace(/\.+$/, '')}.`;
  return {
    event: (tenantId, type) => `${p}evt.${encodeToken(tenantId)}.${typeTokens(type)}`,
    replay: (consumer, tenantId) => `${p}rpl.${encodeToken(consumer)}.${encodeToken(tenantId)}`,
    realtime: (tenantId) => `${p}rt.${encodeToken(tenantId)}`,
    streamSubjects: () => [`${p}evt.>`, `${p}rpl.>`],
    eventFilters: (types) => minimalPatterns(types).map((pattern) => {
      if (pattern === '*') return `${p}evt.>`;
      if (pattern.endsWith('.*')) return `${p}evt.*.${typeTokens(pattern.slice(0, -2))}.>`;
      return `${p}evt.*.${typeTokens(pattern)}`;
    }),
    replayFilter: (consumer) => `${p}rpl.${encodeToken(consumer)}.>`,
    realtimeWildcard: () => `${p}rt.*`,
    realtimeTenant(subject) {
      const head = `${p}rt.`;
      return subject.startsWith(head) ? decodeToken(subject.slice(head.length)) : undefined;
    },
  };
}

/** Drops patterns another pattern already covers (NATS rejects overlapping filter subjects). */
export function minimalPatterns(types: readonly string[]): string[] {
  const unique = [...new Set(types)];
  if (unique.includes('*')) return ['*'];
  return unique.filter((pattern) => !unique.some((other) => other !== pattern && covers(other, pattern)));
}

function covers(general: string, specific: string): boolean {
  if (!general.endsWith('.*')) return false;
  const target = specific.endsWith('.*') ? specific.slice(0, -1) : specific;
  return typeMatches(general, target) && target !== general.slice(0, -1);
}

/** A JetStream durable name for a consumer: letters, digits, `-` and `_` only. */
export function durableName(consumer: string, suffix = ''): string {
  return `${consumer.replace(/[^A-Za-z0-9_-]/g, '_')}${suffix}`;
}
