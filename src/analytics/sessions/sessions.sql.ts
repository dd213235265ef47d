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
  /**
   * The actors' sessions that started in [from, to), one statement per actor on the
   * (tenant, user, started_at) index, in start order (`desc`: newest first), at most `limit`.
   * Per actor because with `user_id in (…)` SQLite's planner, without statistics, may take the
   * primary key's tenant prefix and read every session of the tenant.
   */
  const sessionsOf = async (tenantId: string, actors: string[], from: number, to: number, limit: number, desc = false) => {
    const direction = desc ? 'desc' : 'asc';
    const read = (actor: string) => reader.selectFrom('analytics_sessions').selectAll().where('tenant_id', '=', tenantId).where('user_id', '=', actor)
      .where('started_at', '>=', from).where('started_at', '<', to).orderBy('started_at', direction).orderBy('session_key').limit(limit).execute();
    const rows = (await Promise.all([...new Set(actors)].map(read))).flat().map(toRow);
    const sign = desc ? -1 : 1;
    return rows.sort((a, b) => sign * (a.startedAt - b.startedAt) || compareText(a.key, b.key)).slice(0, limit);
  };
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
      return mergeStitched(await sessionsOf(tenantId, actors, from, to, limit)).map((r) => ({ startedAt: r.startedAt, endedAt: r.endedAt, eventCount: r.eventCount }));
    },
    async list(tenantId, actors, from, to, limit) {
      return mergeStitched(await sessionsOf(tenantId, actors, from, to, limit, true));
    },
    async exportPerson(tenantId, userId) {
      const actors = [userId, ...(await persons.linkedTo(tenantId, userId))];
      const sessions = await sessionsOf(tenantId, actors, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
      let events = 0;
      for (const actor of actors) {
        const counted = await reader.selectFrom('analytics_events').select((eb) => eb.fn.countAll<number>().as('n'))
          .where('tenant_id', '=', tenantId).where('actor', '=', actor).executeTakeFirst();
        events += Number(counted?.n ?? 0);
      }
      return { sessions, stitchedIds: actors.slice(1), events };
    },
    async erasePerson(tenantId, userId) {
      const actors = [userId, ...(await persons.linkedTo(tenantId, userId))];
      let removed = 0;
      // One actor per statement, each on its index (see sessionsOf).
      for (const actor of actors) {
        removed += Number((await reader.deleteFrom('analytics_sessions').where('tenant_id', '=', tenantId).where('user_id', '=', actor).executeTakeFirst()).numDeletedRows);
        removed += Number((await reader.deleteFrom('analytics_events').where('tenant_id', '=', tenantId).where('actor', '=', actor).executeTakeFirst()).numDeletedRows);
      }
      removed += Number((await reader.deleteFrom('analytics_person_links').where('tenant_id', '=', tenantId).where('person', '=', userId).executeTakeFirst()).numDeletedRows);
      removed += Number((await reader.deleteFrom('analytics_person_links').where('tenant_id', '=', tenantId).where('id', '=', userId).executeTakeFirst()).numDeletedRows);
      return removed;
    },
  };
}
