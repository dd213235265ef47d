/**
 * Migration 004 on SQLite and PostgreSQL: idempotency keys stored before keys were scoped get
 * their scope (CloudEvents `ce:` keys, Segment messages by their event's source, else native), so
 * a retry sent across the upgrade is still a duplicate, and nothing is lost or merged. (Migration
 * 006 then marks these tenant-wide keys `t:`.)
 */
import { Migrator, type Kysely } from 'kysely';
import { describe, expect, it } from 'vitest';
import { migrationsFor, type SqlDialect } from '../../src/adapters/sql/migrations.js';
import { toEventRow } from '../../src/adapters/sql/rows.js';
import type { SqlStore } from '../../src/adapters/sql/sql-store.js';
import { withFreshStore } from '../helpers/upgrade-stores.js';
import { T0, makeEvent } from './store.fixtures.js';

const BEFORE_SCOPING = ['001_event_backbone', '002_deliveries_claim_index', '003_deliveries_lean_indexes'];

async function migrateBeforeScoping(db: Kysely<any>, dialect: SqlDialect, schema?: string): Promise<void> {
  const all = migrationsFor(dialect);
  const migrator = new Migrator({
    db, ...(schema ? { migrationTableSchema: schema } : {}),
    provider: { getMigrations: async () => Object.fromEntries(BEFORE_SCOPING.map((name) => [name, all[name]!])) },
  });
  const { error } = await migrator.migrateToLatest();
  if (error) throw error;
}

async function checkUpgrade(store: SqlStore, migrateOld: () => Promise<void>): Promise<void> {
  await migrateOld();
  const db = store.db as Kysely<any>;
  const tenantId = 'tenant-upgrade';
  const events = [
    makeEvent(tenantId, T0 + 1, { idempotencyKey: 'order-1' }),
    makeEvent(tenantId, T0 + 2, { idempotencyKey: 'msg-1', source: '/segment' }),
    makeEvent(tenantId, T0 + 3, { idempotencyKey: 'ce:/apps/x:1', source: '/apps/x' }),
    makeEvent(tenantId, T0 + 4, { idempotencyKey: 'native:literal' }),
  ];
  // Rows as the events table had them before migration 005 (no sender_role).
  await db.insertInto('events').values(events.map((e) => { const { sender_role: _added, ...row } = toEventRow(e); return row; })).execute();
  await db.insertInto('idempotency_keys').values(events.map((e) => ({ tenant_id: tenantId, key: e.idempotencyKey, event_id: e.id, created_at: e.receivedAt }))).execute();

  await store.migrate();
  const rows = await db.selectFrom('idempotency_keys').select(['key', 'event_id', 'body_hash']).where('tenant_id', '=', tenantId).orderBy('key').execute();
  expect(rows).toEqual([
    { key: 'cloudevents:t:ce:/apps/x:1', event_id: events[2]!.id, body_hash: null },
    { key: 'native:t:native:literal', event_id: events[3]!.id, body_hash: null },
    { key: 'native:t:order-1', event_id: events[0]!.id, body_hash: null },
    { key: 'segment:t:msg-1', event_id: events[1]!.id, body_hash: null },
  ]);
  const retry = (key: string, ms: number) => ({ ...makeEvent(tenantId, T0 + ms, { idempotencyKey: key }), idempotency: { key, bodyHash: 'new-hash' } });
  const results = await store.events.append([retry('native:t:order-1', 10), retry('segment:t:msg-1', 11), retry('cloudevents:t:ce:/apps/x:1', 12)], 0);
  expect(results).toEqual([events[0], events[1], events[2]].map((e) => ({ id: e!.id, duplicate: true })));
}

describe('migration 004 (scoped idempotency keys)', () => {
  it('scopes existing keys on SQLite', async () => {
    await withFreshStore('sqlite', (store) => checkUpgrade(store, () => migrateBeforeScoping(store.db, 'sqlite')));
  });

  it('scopes existing keys on PostgreSQL', async () => {
    await withFreshStore('postgres', (store, _dialect, schema) => checkUpgrade(store, () => migrateBeforeScoping(store.db, 'postgres', schema)));
  });
});
