/**
 * Migration 005 on SQLite and PostgreSQL: events record their sender's role. Events stored before
 * the upgrade read back with no sender (null), so the indexer keeps applying them as before, and
 * events appended after it keep theirs.
 */
import type { Kysely } from 'kysely';
import { describe, expect, it } from 'vitest';
import { toEventRow } from '../../src/adapters/sql/rows.js';
import type { SqlStore } from '../../src/adapters/sql/sql-store.js';
import { migrateBackboneBefore, withFreshStore } from '../helpers/upgrade-stores.js';
import { T0, makeEvent } from './store.fixtures.js';

async function checkUpgrade(store: SqlStore, migrateOld: () => Promise<void>): Promise<void> {
  await migrateOld();
  const db = store.db as Kysely<any>;
  const tenantId = 'tenant-senders';
  const old = makeEvent(tenantId, T0 + 1, { type: 'article.created', userId: 'alice', data: { articleId: 'a1' } });
  const { sender_role: _none, ...row } = toEventRow(old);
  await db.insertInto('events').values(row).execute();

  await store.migrate();
  expect(await store.events.get(tenantId, old.id)).toEqual({ ...old, senderRole: null, seq: 1 }); // its position in the log: migration 007
  const fresh = makeEvent(tenantId, T0 + 2, { senderRole: 'member', userId: 'alice' });
  await store.events.append([fresh], 0);
  expect((await store.events.getMany([old.id, fresh.id])).map((e) => [e.id, e.senderRole]).sort()).toEqual([[old.id, null], [fresh.id, 'member']].sort());
}

describe('migration 005 (sender role of events)', () => {
  it('adds the column on SQLite; old rows have no sender', async () => {
    await withFreshStore('sqlite', (store) => checkUpgrade(store, () => migrateBackboneBefore(store.db, 'sqlite', '005')));
  });

  it('adds the column on PostgreSQL; old rows have no sender', async () => {
    await withFreshStore('postgres', (store, _dialect, schema) => checkUpgrade(store, () => migrateBackboneBefore(store.db, 'postgres', '005', schema)));
  });
});
