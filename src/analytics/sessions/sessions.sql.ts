/** The sessions store over Kysely, one adapter for SQLite and PostgreSQL. */
import type { Kysely } from 'kysely';
import type { StoreTx } from '../../ports/store.port.js';
import type { SessionRow } from './sessionize.js';
import type { EventSession, PersonRef, SessionsStore } from './sessions.store.js';

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

interface EventSessionsTable { tenant_id: string; event_id: string; user_id: string; session_key: string }

interface AnalyticsTables { analytics_sessions: SessionsTable; analytics_event_sessions: EventSessionsTable }

/** Persons (or keys) per statement: within both engines' parameter limits. */
const CHUNK = 200;

function chunks<T>(items: T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

const toRow = (r: SessionsTable): SessionRow => ({
  tenantId: r.tenant_id, userId: r.user_id, key: r.session_key, sourceApp: r.source_app, derived: Number(r.derived) === 1,
  latest: Number(r.latest) === 1, startedAt: Number(r.started_at), endedAt: Number(r.ended_at), eventCount: Number(r.event_count),
  entryType: r.entry_type, exitType: r.exit_type,
});

const toTable = (r: SessionRow): SessionsTable => ({
  tenant_id: r.tenantId, user_id: r.userId, session_key: r.key, source_app: r.sourceApp, derived: r.derived ? 1 : 0,
  latest: r.latest ? 1 : 0, started_at: r.startedAt, ended_at: r.endedAt, event_count: r.eventCount, entry_type: r.entryType, exit_type: r.exitType,
});

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** `db` serves the reads; a projection's writes go through the transaction it is handed. */
export function sqlSessionsStore(db: Kysely<any>): SessionsStore {
  const reader = db as Kysely<AnalyticsTables>;
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
      const assigned = [...events].sort((a, b) => compare(`${a.tenantId}\u0000${a.eventId}`, `${b.tenantId}\u0000${b.eventId}`));
      for (const part of chunks(assigned, 200)) {
        await trx.insertInto('analytics_event_sessions')
          .values(part.map((e: EventSession) => ({ tenant_id: e.tenantId, event_id: e.eventId, user_id: e.userId, session_key: e.sessionKey })))
          .onConflict((oc) => oc.columns(['tenant_id', 'event_id']).doUpdateSet((eb) => ({ session_key: eb.ref('excluded.session_key'), user_id: eb.ref('excluded.user_id') })))
          .execute();
      }
      // Key order: concurrent batches of several processes lock rows in one order.
      const sorted = [...rows].sort((a, b) => compare(`${a.tenantId}\u0000${a.userId}\u0000${a.key}`, `${b.tenantId}\u0000${b.userId}\u0000${b.key}`));
      for (const part of chunks(sorted, 100)) {
        await trx.insertInto('analytics_sessions').values(part.map(toTable))
          .onConflict((oc) => oc.columns(['tenant_id', 'user_id', 'session_key']).doUpdateSet((eb) => ({
            latest: eb.ref('excluded.latest'), started_at: eb.ref('excluded.started_at'), ended_at: eb.ref('excluded.ended_at'),
            event_count: eb.ref('excluded.event_count'), entry_type: eb.ref('excluded.entry_type'), exit_type: eb.ref('excluded.exit_type'),
          })))
          .execute();
      }
    },
    async clearTenant(tx, tenantId) {
      const trx = tx.db as Kysely<AnalyticsTables>;
      await trx.deleteFrom('analytics_sessions').where('tenant_id', '=', tenantId).execute();
      await trx.deleteFrom('analytics_event_sessions').where('tenant_id', '=', tenantId).execute();
    },
    async sessionKeys(tenantId, eventIds) {
      const keys = new Map<string, string>();
      for (const part of chunks(eventIds, 500)) {
        const rows = await reader.selectFrom('analytics_event_sessions').select(['event_id', 'session_key'])
          .where('tenant_id', '=', tenantId).where('event_id', 'in', part).execute();
        for (const r of rows) keys.set(r.event_id, r.session_key);
      }
      return keys;
    },
    async eventsOfSession(tenantId, userId, sessionKey, after, limit) {
      const rows = await reader.selectFrom('analytics_event_sessions').select('event_id')
        .where('tenant_id', '=', tenantId).where('user_id', '=', userId).where('session_key', '=', sessionKey).where('event_id', '>', after)
        .orderBy('event_id').limit(limit).execute();
      return rows.map((r) => r.event_id);
    },
    async spans(tenantId, userId, from, to, limit) {
      const rows = await reader.selectFrom('analytics_sessions').select(['started_at', 'ended_at', 'event_count'])
        .where('tenant_id', '=', tenantId).where('user_id', '=', userId).where('started_at', '>=', from).where('started_at', '<', to)
        .orderBy('started_at').limit(limit).execute();
      return rows.map((r) => ({ startedAt: Number(r.started_at), endedAt: Number(r.ended_at), eventCount: Number(r.event_count) }));
    },
    async list(tenantId, userId, from, to, limit) {
      const rows = await reader.selectFrom('analytics_sessions').selectAll()
        .where('tenant_id', '=', tenantId).where('user_id', '=', userId).where('started_at', '>=', from).where('started_at', '<', to)
        .orderBy('started_at', 'desc').orderBy('session_key').limit(limit).execute();
      return rows.map(toRow);
    },
    async ofUser(tenantId, userId) {
      const rows = await reader.selectFrom('analytics_sessions').selectAll().where('tenant_id', '=', tenantId).where('user_id', '=', userId)
        .orderBy('started_at').orderBy('session_key').execute();
      return rows.map(toRow);
    },
    async eraseUser(tenantId, userId) {
      const result = await reader.deleteFrom('analytics_sessions').where('tenant_id', '=', tenantId).where('user_id', '=', userId).executeTakeFirst();
      await reader.deleteFrom('analytics_event_sessions').where('tenant_id', '=', tenantId).where('user_id', '=', userId).execute();
      return Number(result.numDeletedRows);
    },
  };
}
