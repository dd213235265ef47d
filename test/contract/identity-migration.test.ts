/**
 * The identity feature's first migration on SQLite and PostgreSQL, over rows the previous
 * release wrote in the request path: links get the user they are about (`to_id`, or `from_id`
 * of a group link) so privacy export and erase find them, and rows get the log's head as their
 * position, so an older event fed again (a replay) does not override them while a newer one does.
 */
import type { Kysely } from 'kysely';
import { describe, expect, it } from 'vitest';
import type { SqlStore } from '../../src/adapters/sql/sql-store.js';
import { identityConsumer } from '../../src/identity/profiles/profile.projection.js';
import { sqlProfileStore } from '../../src/identity/profiles/profile.sql.js';
import { migrationsOfFeatures } from '../../src/main.js';
import { createLogger } from '../../src/platform/logger.js';
import type { LogEntry } from '../../src/ports/events.types.js';
import { withFreshStore } from '../helpers/upgrade-stores.js';
import { T0, makeEvent } from './store.fixtures.js';

const tenantId = 'tenant-identity-001';
const context = { attempt: 1, logger: createLogger('silent', 'test'), signal: new AbortController().signal };

async function checkUpgrade(store: SqlStore): Promise<void> {
  await store.migrate();
  const db = store.db as Kysely<any>;
  await store.events.append([makeEvent(tenantId, T0, { userId: 'ann' }), makeEvent(tenantId, T0 + 1, { userId: 'ann' })], 0);
  await db.insertInto('user_traits').values({ tenant_id: tenantId, user_id: 'ann', traits: JSON.stringify({ plan: 'pro' }), updated_at: T0 }).execute();
  await db.insertInto('identity_links').values([
    { tenant_id: tenantId, kind: 'anonymous', from_id: 'anon-ann', to_id: 'ann', created_at: T0 },
    { tenant_id: tenantId, kind: 'group', from_id: 'ann', to_id: 'team-a', created_at: T0 },
  ]).execute();
  await store.migrate(migrationsOfFeatures(store.dialect));

  const links = await db.selectFrom('identity_links').select(['kind', 'user_id', 'seq']).where('tenant_id', '=', tenantId).orderBy('kind').execute();
  const head = Number((await db.selectFrom('events').select((eb) => eb.fn.max('seq').as('n')).executeTakeFirstOrThrow()).n);
  expect(links.map((l) => ({ ...l, seq: Number(l.seq) }))).toEqual([
    { kind: 'anonymous', user_id: 'ann', seq: head }, { kind: 'group', user_id: 'ann', seq: head },
  ]);
  const profiles = sqlProfileStore(store.db);
  expect((await profiles.exportUser(tenantId, 'ann')).links.map((l) => l.kind).sort()).toEqual(['anonymous', 'group']);

  const entry = (seq: number, traits: Record<string, unknown>): LogEntry =>
    ({ ...makeEvent(tenantId, T0 + seq, { type: 'user.identified', source: '/segment', userId: 'ann', data: { traits } }), seq });
  const project = (events: LogEntry[]) => db.transaction().execute((trx) => identityConsumer(profiles).handleBatch!(events, { db: trx, dialect: store.dialect }, context));
  await project([entry(head - 1, { plan: 'free', name: 'Ann' })]);
  expect(await profiles.traits(tenantId, 'ann')).toEqual({ plan: 'pro', name: 'Ann' });
  await project([entry(head + 1, { plan: 'enterprise' })]);
  expect(await profiles.traits(tenantId, 'ann')).toEqual({ plan: 'enterprise', name: 'Ann' });
  expect(await profiles.eraseUser(tenantId, 'ann')).toBe(3);
}

describe('identity feature migration 001 (links carry their user; rows their log position)', () => {
  it('upgrades on SQLite', async () => {
    await withFreshStore('sqlite', (store) => checkUpgrade(store));
  });

  it('upgrades on PostgreSQL', async () => {
    await withFreshStore('postgres', (store) => checkUpgrade(store));
  });
});
