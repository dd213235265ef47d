/**
 * Idempotency keys are scoped by where the key comes from (native `idempotencyKey`, CloudEvents
 * `source`+`id` or `idempotencykey`, Segment `messageId`) and, when a member sends, by the
 * member's user: one user can never collide with, or probe, another user's keys. Beside each key
 * the store keeps a hash of the normalised item, so a key reused with a different body is a
 * conflict (409), while the same body again is a duplicate.
 */
import { createHash } from 'node:crypto';
import type { Principal } from '../../identity/principal.js';
import type { WireFormat } from './envelope.js';

/**
 * The key as stored: `<format>:u:<user>:<key>` for a member, `<format>:t:<key>` for tenant-wide
 * (ingest, admin) keys. Each scope has its own marker and the user id is percent-encoded, so no
 * key sent in one scope can spell a key of another (an ingest key's `u:alice:k-1` is not Alice's `k-1`).
 */
export function scopedKey(format: WireFormat, principal: Principal, key: string): string {
  const scope = principal.role === 'member' ? `u:${encodeURIComponent(principal.userId ?? '')}:` : 't:';
  return `${format}:${scope}${key}`;
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/** JSON with object keys sorted, so the same content hashes alike whatever its key order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) => {
    if (!isPlainObject(inner)) return inner;
    const sorted = Object.create(null) as Record<string, unknown>; // a `__proto__` key stays a plain key
    for (const key of Object.keys(inner).sort()) sorted[key] = inner[key];
    return sorted;
  }) ?? 'null';
}

/** SHA-256 (hex) of the canonical JSON of what identifies a request's body. */
export function bodyHash(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex');
}
