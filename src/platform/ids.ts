import { randomBytes, randomFillSync } from 'node:crypto';

/** Random bytes drawn from a refilled pool: one system call per 256 ids instead of two per id. */
const POOL_SIZE = 4096;
const pool = Buffer.alloc(POOL_SIZE);
let poolOffset = POOL_SIZE;

function randomSlice(size: number): Buffer {
  if (poolOffset + size > POOL_SIZE) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const slice = Buffer.from(pool.subarray(poolOffset, poolOffset + size));
  poolOffset += size;
  return slice;
}

/**
 * UUIDv7 (RFC 9562): 48-bit millisecond timestamp, then random bits, with a per-process
 * monotonic counter so ids minted in the same millisecond still sort in creation order.
 */
let lastMs = 0;
let sequence = 0;

export function newId(nowMs: number = Date.now()): string {
  if (nowMs <= lastMs) {
    sequence = (sequence + 1) & 0xfff;
    if (sequence === 0) lastMs += 1; // 4096 ids in one ms: borrow the next millisecond
    nowMs = lastMs;
  } else {
    lastMs = nowMs;
    sequence = randomSlice(2).readUInt16BE(0) & 0x3ff; // random start leaves room to count up
  }
  const bytes = randomSlice(16);
  bytes.writeUIntBE(nowMs, 0, 6);
  bytes[6] = 0x70 | ((sequence >> 8) & 0x0f);
  bytes[7] = sequence & 0xff;
  bytes[8] = 0x80 | (bytes[8]! & 0x3f);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Millisecond timestamp encoded in a UUIDv7. */
export function idTime(id: string): number {
  return Number.parseInt(id.replace(/-/g, '').slice(0, 12), 16);
}

/** Smallest UUIDv7 at a given millisecond: a lower bound for id range scans by time. */
export function idFloor(ms: number): string {
  const hex = Math.max(0, Math.floor(ms)).toString(16).padStart(12, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-7000-8000-000000000000`;
}

export function randomToken(bytes = 24): string {
  return randomBytes(bytes).toString('base64url');
}

/**
 * The longest id the API accepts anywhere: user, session and document ids, idempotency keys, path
 * parameters. One limit, so whatever can be written can also be read back by path.
 */
export const MAX_ID_LENGTH = 256;
