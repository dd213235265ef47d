/** The sessions store over Kysely, one adapter for SQLite and PostgreSQL (person rows in persons.sql.ts). */
import type { Kysely } from 'kysely';
import { applyLinks, personReads, saveEvents, type PersonTables } from './persons.sql.js';
import type { SessionRow } from './sessionize.js';
import type { PersonRef, SessionsStore } from './sessions.store.js';
import { mergeStitched } from './stitch.js';
import { chunks, compareText } from '../../platform/lists.js';

interface SessionsTable {
  tenant_id: string;
  user_id: string;
  session_key: string;
  source_app: string;
  derived: number;
  latest: number;
  started_at: number;
  ended_at: number;
  event_count: number;
  entry_type: string;
  exit_type: string;
}

interface AnalyticsTables extends PersonTables { analytics_sessions: SessionsTable }

const toRow = (r: SessionsTable): SessionRow => ({
  tenantId: r.tenant_id, userId: r.user_id, key: r.session_key, sourceApp: r.source_app, derived: Number(r.derived) === 1,
  latest: Number(r.latest) === 1, startedAt: Number(r.started_at), endedAt: Number(r.ended_at), eventCount: Number(r.event_count),
  entryType: r.entry_type, exitType: r.exit_type,
});

const toTable = (r: SessionRow): SessionsTable => ({
  tenant_id: r.tenantId, user_id: r.userId, session_key: r.key, source_app: r.sourceApp, derived: r.derived ? 1 : 0,
  latest: r.latest ? 1 : 0, started_at: r.startedAt, ended_at: r.endedAt, event_count: r.eventCount, entry_type: r.entryType, exit_type: r.exitType,
});


/** `db` serves the reads; a projection's writes go through the transaction it is handed. */
export function sqlSessionsStore(db: Kysely<any>): SessionsStore {
  const reader = db as Kysely<AnalyticsTables>;
  const persons = personReads(db);
  const sessionsOf = (tenantId: string, actors: string[]) =>
    reader.selectFrom('analytics_sessions').where('tenant_id', '=', tenantId).where('user_id', 'in', actors.length > 0 ? actors : ['']);
  return {
    async load(tx, persons, clientKeys) {
      const trx = tx.db as Kysely<AnalyticsTables>;
      const rows: SessionsTable[] = [];
      const byTenant = new Map<string, string[]>();
      for (const p of persons) byTenant.set(p.tenantId, [...(byTenant.get(p.tenantId) ?? []), p.userId]);
      for (const [tenantId, users] of byTenant) {
        for (const part of chunks(users)) {
          rows.push(...await trx.selectFrom('analytics_sessions').selectAll().where('tenant_id', '=', tenantId)
            .where('user_id', 'in', part).where('latest', '=', 1).execute());
        }
      }
      const wanted: Array<[PersonRef, string]> = [];
      for (const p of persons) for (const key of clientKeys.get(`${p.tenantId}\u0000${p.userId}`) ?? []) wanted.push([p, key]);
      for (const part of chunks(wanted)) {
        rows.push(...await trx.selectFrom('analytics_sessions').selectAll()
          .where((eb) => eb.or(part.map(([p, key]) => eb.and([eb('tenant_id', '=', p.tenantId), eb('user_id', '=', p.userId), eb('session_key', '=', key)]))))
          .execute());
      }
      return rows.map(toRow);
    },
    async save(tx, rows, events) {
      const trx = tx.db as Kysely<AnalyticsTables>;
      await saveEvents(tx, events);
      // Key order: concurrent batches of several processes lock rows in one order.
      const sorted = [...rows].sort((a, b) => compareText(`${a.tenantId}\u0000${a.userId}\u0000${a.key}`, `${b.tenantId}\u0000${b.userId}\u0000${b.key}`));
      for (const part of chunks(sorted, 100)) {
        await trx.insertInto('analytics_sessions').values(part.map(toTable))
          .onConflict((oc) => oc.columns(['tenant_id', 'user_id', 'session_key']).doUpdateSet((eb) => ({
            latest: eb.ref('excluded.latest'), started_at: eb.ref('excluded.started_at'), ended_at: eb.ref('excluded.ended_at'),
            event_count: eb.ref('excluded.event_count'), entry_type: eb.ref('excluded.entry_type'), exit_type: eb.ref('excluded.exit_type'),
          })))
          .execute();
      }
    },
    link: applyLinks,
    actorsOf: persons.actorsOf,
    personEvents: persons.personEvents,
    async clearTenant(tx, tenantId) {
      const trx = tx.db as Kysely<AnalyticsTables>;
      await trx.deleteFrom('analytics_sessions').where('tenant_id', '=', tenantId).execute();
      await trx.deleteFrom('analytics_events').where('tenant_id', '=', tenantId).execute();
      await trx.deleteFrom('analytics_person_links').where('tenant_id', '=', tenantId).execute();
    },
    async spans(tenantId, actors, from, to, limit) {
      const rows = await sessionsOf(tenantId, actors).selectAll().where('started_at', '>=', from).where('started_at', '<', to)
        .orderBy('started_at').orderBy('session_key').limit(limit).execute();
      return mergeStitched(rows.map(toRow)).map((r) => ({ startedAt: r.startedAt, endedAt: r.endedAt, eventCount: r.eventCount }));
    },
    async list(tenantId, actors, from, to, limit) {
      const rows = await sessionsOf(tenantId, actors).selectAll().where('started_at', '>=', from).where('started_at', '<', to)
        .orderBy('started_at', 'desc').orderBy('session_key').limit(limit).execute();
      return mergeStitched(rows.map(toRow));
    },
    async exportPerson(tenantId, userId) {
      const actors = [userId, ...(await persons.linkedTo(tenantId, userId))];
      const rows = await sessionsOf(tenantId, actors).selectAll().orderBy('started_at').orderBy('session_key').execute();
      const counted = await reader.selectFrom('analytics_events').select((eb) => eb.fn.countAll<number>().as('n'))
        .where('tenant_id', '=', tenantId).where('actor', 'in', actors).executeTakeFirst();
      return { sessions: rows.map(toRow), stitchedIds: actors.slice(1), events: Number(counted?.n ?? 0) };
    },
    async erasePerson(tenantId, userId) {
      const actors = [userId, ...(await persons.linkedTo(tenantId, userId))];
      let removed = 0;
      for (const part of chunks(actors)) {
        removed += Number((await reader.deleteFrom('analytics_sessions').where('tenant_id', '=', tenantId).where('user_id', 'in', part).executeTakeFirst()).numDeletedRows);
        removed += Number((await reader.deleteFrom('analytics_events').where('tenant_id', '=', tenantId).where('actor', 'in', part).executeTakeFirst()).numDeletedRows);
      }
      removed += Number((await reader.deleteFrom('analytics_person_links').where('tenant_id', '=', tenantId)
        .where((eb) => eb.or([eb('person', '=', userId), eb('id', '=', userId)])).executeTakeFirst()).numDeletedRows);
      return removed;
    },
  };
}
