/**
 * Migration 006 on SQLite and PostgreSQL: Segment events already stored get their anonymous id
 * in the indexed column (a document with an escaped NUL too), the member-claim lookup is served
 * by the index, and idempotency keys of tenant-wide keys get their `t:` marker while members'
 * keys keep their scope, so retries sent across the upgrade still dedupe.
 */
import { sql, type Kysely } from 'kysely';
import { describe, expect, it } from 'vitest';
import { toEventRow } from '../../src/adapters/sql/rows.js';
import type { SqlStore } from '../../src/adapters/sql/sql-store.js';
import type { EventRecord } from '../../src/ports/events.types.js';
import { sqlProfileStore } from '../../src/identity/profiles/profile.sql.js';
import { migrateBackboneBefore, withFreshStore } from '../helpers/upgrade-stores.js';
import { T0, makeEvent } from './store.fixtures.js';

const tenantId = 'tenant-006';
const ev = (ms: number, fields: Partial<EventRecord>) => makeEvent(tenantId, T0 + ms, fields);

async function seedOld(db: Kysely<any>): Promise<EventRecord[]> {
  const events = [
    ev(1, { source: '/segment', data: { event: 'Note', anonymousId: 'anon-erin' } }),
    ev(2, { source: '/segment', userId: 'alice', data: { note: 'nul \u0000 inside', anonymousId: 'anon-nul' } }),
    ev(3, { source: '/apps/x', data: { anonymousId: 'anon-native' } }),
    ev(4, { idempotencyKey: 'order-1', senderRole: 'ingest' }),
    ev(5, { idempotencyKey: 'k-1', senderRole: 'member', userId: 'alice' }),
    ev(6, { idempotencyKey: 'u:alice:k-2', senderRole: 'ingest' }),
    ev(7, { idempotencyKey: 't:x', senderRole: 'ingest' }),
    ev(8, { idempotencyKey: 'x', senderRole: 'ingest' }),
    ev(9, { idempotencyKey: 'msg-1', source: '/segment', data: null }),
    ev(10, { idempotencyKey: 'ce:/apps/x:1', source: '/apps/x' }),
  ];
  await db.insertInto('events').values(events.map(toEventRow)).execute();
  const keys = ['native:order-1', 'native:u:alice:k-1', 'native:u:alice:k-2', 'native:t:x', 'native:x', 'segment:msg-1', 'cloudevents:ce:/apps/x:1'];
  await db.insertInto('idempotency_keys')
    .values(keys.map((key, i) => ({ tenant_id: tenantId, key, event_id: events[i + 3]!.id, created_at: T0, body_hash: null }))).execute();
  return events;
}

async function planOf(store: SqlStore): Promise<string> {
  const db = store.db as Kysely<any>;
  const query = `select id from events where tenant_id = '${tenantId}' and anonymous_id = 'anon-erin' and user_id is null limit 1`;
  if (store.dialect === 'sqlite') return JSON.stringify((await sql.raw(`explain query plan ${query}`).execute(db)).rows);
  return db.transaction().execute(async (trx) => {
    await sql`set local enable_seqscan = off`.execute(trx);
    return JSON.stringify((await sql.raw(`explain ${query}`).execute(trx)).rows);
  });
}

async function checkUpgrade(store: SqlStore, migrateOld: () => Promise<void>): Promise<void> {
  await migrateOld();
  const db = store.db as Kysely<any>;
  const events = await seedOld(db);
  await store.migrate();

  const anon = await db.selectFrom('events').select(['id', 'anonymous_id']).where('tenant_id', '=', tenantId).orderBy('id').execute();
  expect(anon.slice(0, 3).map((r) => r.anonymous_id)).toEqual(['anon-erin', 'anon-nul', null]);
  const profiles = sqlProfileStore(store.db);
  expect(await profiles.isKnown(tenantId, 'anon-erin', 'alice')).toBe(true);
  expect(await profiles.isKnown(tenantId, 'anon-nul', 'alice')).toBe(false);
  expect(await profiles.isKnown(tenantId, 'anon-nul', 'mallory')).toBe(true);
  expect(await planOf(store)).toContain('events_tenant_anonymous');

  const keys = await db.selectFrom('idempotency_keys').select(['key', 'event_id']).where('tenant_id', '=', tenantId).orderBy('event_id').execute();
  expect(keys).toEqual([
    { key: 'native:t:order-1', event_id: events[3]!.id }, { key: 'native:u:alice:k-1', event_id: events[4]!.id },
    { key: 'native:t:u:alice:k-2', event_id: events[5]!.id }, { key: 'native:t:t:x', event_id: events[6]!.id },
    { key: 'native:t:x', event_id: events[7]!.id }, { key: 'segment:t:msg-1', event_id: events[8]!.id },
    { key: 'cloudevents:t:ce:/apps/x:1', event_id: events[9]!.id },
  ]);
  const retry = (key: string, ms: number) => ({ ...ev(100 + ms, { idempotencyKey: key }), idempotency: { key, bodyHash: 'new-hash' } });
  const results = await store.events.append([retry('native:t:order-1', 1), retry('native:u:alice:k-1', 2), retry('segment:t:msg-1', 3)], 0);
  expect(results).toEqual([events[3], events[4], events[8]].map((e) => ({ id: e!.id, duplicate: true })));
}

describe('migration 006 (anonymous ids of events, tenant-wide idempotency keys)', () => {
  it('upgrades on SQLite', async () => {
    await withFreshStore('sqlite', (store) => checkUpgrade(store, () => migrateBackboneBefore(store.db, 'sqlite', '006')));
  });

  it('upgrades on PostgreSQL', async () => {
    await withFreshStore('postgres', (store, _dialect, schema) => checkUpgrade(store, () => migrateBackboneBefore(store.db, 'postgres', '006', schema)));
  });
});
