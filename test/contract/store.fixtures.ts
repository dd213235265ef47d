/** Builders shared by the Store contract sections. */
import { randomBytes } from 'node:crypto';
import { idFloor } from '../../src/platform/ids.js';
import type { EventRecord } from '../../src/ports/events.types.js';
import type { Store } from '../../src/ports/store.port.js';

/** A fixed point in time the suites build on (2025-01-01T00:00:00Z). */
export const T0 = Date.UTC(2025, 0, 1);
export const HOUR = 3_600_000;

let sequence = 0;

/** A UUIDv7 whose timestamp is `ms`; ids made in the same ms still sort in creation order. */
export function idAt(ms: number): string {
  sequence = (sequence + 1) & 0xfff;
  const rand = randomBytes(8).toString('hex');
  return `${idFloor(ms).slice(0, 14)}7${sequence.toString(16).padStart(3, '0')}-8${rand.slice(0, 3)}-${rand.slice(3, 15)}`;
}

let slugCounter = 0;

/** A tenant of its own for one test, so tests never see each other's rows. */
export async function newTenant(store: Store, label = 'tenant'): Promise<string> {
  slugCounter += 1;
  const { tenant } = await store.tenants.ensure(`${label}-${slugCounter}-${randomBytes(3).toString('hex')}`);
  return tenant.id;
}

/** A consumer name of its own for one test. */
export function newConsumer(label = 'consumer'): string {
  return `${label}-${randomBytes(4).toString('hex')}`;
}

/** An event received at `receivedAt` (its id carries that time). */
export function makeEvent(tenantId: string, receivedAt: number, fields: Partial<EventRecord> = {}): EventRecord {
  return {
    id: idAt(receivedAt),
    tenantId,
    type: 'page.viewed',
    source: 'contract-test',
    subject: null,
    userId: null,
    sessionId: null,
    category: 'usage',
    sourceApp: null,
    time: receivedAt - 1_000,
    receivedAt,
    idempotencyKey: null,
    senderRole: null,
    data: { n: 1 },
    ...fields,
  };
}
