/** API keys: random, shown once, stored as SHA-256 hashes. */
import { createHash } from 'node:crypto';
import { AppError } from '../platform/errors.js';
import { MAX_ID_LENGTH, newId, randomToken } from '../platform/ids.js';
import type { ApiKeyRecord, Role, Store } from '../ports/store.port.js';

const KEY_PREFIX: Record<Role, string> = { admin: 'er_admin_', ingest: 'er_ingest_', member: 'er_member_' };

/** Longest user id anywhere in the API (keys, JWT claims, events), and longest key name. */
export { MAX_ID_LENGTH };
export const MAX_KEY_NAME_LENGTH = 200;

export function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

export interface CreatedKey {
  /** The plain key: returned once, never stored. */
  key: string;
  record: ApiKeyRecord;
}

export async function createApiKey(store: Store, input: { tenantId: string; role: Role; userId?: string | null; name?: string | null }): Promise<CreatedKey> {
  if (input.role === 'member' && !input.userId) {
    throw new AppError('VALIDATION_FAILED', { detail: 'a member key must be bound to a user id', errors: [{ pointer: '/userId', detail: 'required for role member' }] });
  }
  if (input.userId !== undefined && input.userId !== null && (input.userId.length === 0 || input.userId.length > MAX_ID_LENGTH)) {
    throw new AppError('VALIDATION_FAILED', { detail: `a user id has 1 to ${MAX_ID_LENGTH} characters`, errors: [{ pointer: '/userId', detail: `must have 1 to ${MAX_ID_LENGTH} characters` }] });
  }
  if (input.name && input.name.length > MAX_KEY_NAME_LENGTH) {
    throw new AppError('VALIDATION_FAILED', { detail: `a key name has at most ${MAX_KEY_NAME_LENGTH} characters`, errors: [{ pointer: '/name', detail: `must have at most ${MAX_KEY_NAME_LENGTH} characters` }] });
  }
  const key = `${KEY_PREFIX[input.role]}${randomToken(24)}`;
  const record: ApiKeyRecord = {
    id: newId(),
    tenantId: input.tenantId,
    role: input.role,
    userId: input.role === 'member' ? input.userId! : (input.userId ?? null),
    name: input.name ?? null,
    prefix: key.slice(0, KEY_PREFIX[input.role].length + 6),
    createdAt: Date.now(),
    revokedAt: null,
  };
  await store.apiKeys.insert(record, hashKey(key));
  return { key, record };
}
