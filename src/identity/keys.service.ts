/** API keys: random, shown once, stored as SHA-256 hashes. */
import { createHash } from 'node:crypto';
import { AppError } from '../platform/errors.js';
import { newId, randomToken } from '../platform/ids.js';
import type { ApiKeyRecord, Role, Store } from '../ports/store.port.js';

const KEY_PREFIX: Record<Role, string> = { admin: 'er_admin_', ingest: 'er_ingest_', member: 'er_member_' };

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
