/** The next-action store over Kysely, one adapter for SQLite and PostgreSQL. */
import { sql, type Kysely } from 'kysely';
import type { BackoffLevel } from './markov.js';
import type { CountDeltas, PersonContextRow, PredictStore } from './predict.store.js';
import { chunks, compareText } from '../../platform/lists.js';

interface CountsTable { tenant_id: string; context: string; next_type: string; n: number }
interface ContextsTable { tenant_id: string; context: string; total: number; types: number }
interface PersonsTable {
  tenant_id: string; user_id: string; recent: string; session_length: number; session_id: string | null;
  source_app: string; last_time: number; events: number;
}
interface PredictTables { analytics_predict_counts: CountsTable; analytics_predict_contexts: ContextsTable; analytics_predict_persons: PersonsTable }



const toRow = (r: PersonsTable): PersonContextRow => ({
  tenantId: r.tenant_id, userId: r.user_id, recent: JSON.parse(r.recent) as string[], sessionLength: Number(r.session_length),
  sessionId: r.session_id, sourceApp: r.source_app, lastTime: Number(r.last_time), events: Number(r.events),
});

/** `db` serves the reads; a projection's writes go through the transaction it is handed. */
export function sqlPredictStore(db: Kysely<any>): PredictStore {
  const reader = db as Kysely<PredictTables>;
  return {
    async loadPersons(tx, tenantId, userIds) {
      const trx = tx.db as Kysely<PredictTables>;
      const rows: PersonsTable[] = [];
      for (const part of chunks(userIds)) {
        rows.push(...await trx.selectFrom('analytics_predict_persons').selectAll().where('tenant_id', '=', tenantId).where('user_id', 'in', part).execute());
      }
      return rows.map(toRow);
    },
    async savePersons(tx, rows) {
      const trx = tx.db as Kysely<PredictTables>;
      const sorted = [...rows].sort((a, b) => compareText(`${a.tenantId}\u0000${a.userId}`, `${b.tenantId}\u0000${b.userId}`));
      for (const part of chunks(sorted, 100)) {
        await trx.insertInto('analytics_predict_persons').values(part.map((r) => ({
          tenant_id: r.tenantId, user_id: r.userId, recent: JSON.stringify(r.recent), session_length: r.sessionLength,
          session_id: r.sessionId, source_app: r.sourceApp, last_time: r.lastTime, events: r.events,
        })))
          .onConflict((oc) => oc.columns(['tenant_id', 'user_id']).doUpdateSet((eb) => ({
            recent: eb.ref('excluded.recent'), session_length: eb.ref('excluded.session_length'), session_id: eb.ref('excluded.session_id'),
            source_app: eb.ref('excluded.source_app'), last_time: eb.ref('excluded.last_time'), events: eb.ref('excluded.events'),
          })))
          .execute();
      }
    },
    async addCounts(tx, tenantId, deltas: CountDeltas) {
      const trx = tx.db as Kysely<PredictTables>;
      const rows: CountsTable[] = [];
      for (const [context, next] of deltas) for (const [type, n] of next) rows.push({ tenant_id: tenantId, context, next_type: type, n });
      // Key order: concurrent batches (partitions, processes) lock the shared rows in one order.
      rows.sort((a, b) => compareText(a.context, b.context) || compareText(a.next_type, b.next_type));
      const totals = new Map<string, { total: number; types: number }>();
      for (const part of chunks(rows)) {
        const after = await trx.insertInto('analytics_predict_counts').values(part)
          .onConflict((oc) => oc.columns(['tenant_id', 'context', 'next_type']).doUpdateSet({ n: sql`analytics_predict_counts.n + excluded.n` }))
          .returning(['context', 'next_type', 'n']).execute();
        const added = new Map(part.map((r) => [`${r.context}\u0000${r.next_type}`, r.n]));
        for (const r of after) {
          const delta = added.get(`${r.context}\u0000${r.next_type}`)!;
          const t = totals.get(r.context) ?? { total: 0, types: 0 };
          t.total += delta;
          // Counts only grow from 1, so a row whose count is now its increment was new.
          if (Number(r.n) === delta) t.types += 1;
          totals.set(r.context, t);
        }
      }
      const contexts = [...totals].sort(([a], [b]) => compareText(a, b)).map(([context, t]) => ({ tenant_id: tenantId, context, ...t }));
      for (const part of chunks(contexts)) {
        await trx.insertInto('analytics_predict_contexts').values(part)
          .onConflict((oc) => oc.columns(['tenant_id', 'context']).doUpdateSet({
            total: sql`analytics_predict_contexts.total + excluded.total`, types: sql`analytics_predict_contexts.types + excluded.types`,
          }))
          .execute();
      }
    },
    async clearTenant(tx, tenantId) {
      const trx = tx.db as Kysely<PredictTables>;
      await trx.deleteFrom('analytics_predict_counts').where('tenant_id', '=', tenantId).execute();
      await trx.deleteFrom('analytics_predict_contexts').where('tenant_id', '=', tenantId).execute();
      await trx.deleteFrom('analytics_predict_persons').where('tenant_id', '=', tenantId).execute();
    },
    async person(tenantId, userId) {
      const row = await reader.selectFrom('analytics_predict_persons').selectAll().where('tenant_id', '=', tenantId).where('user_id', '=', userId).executeTakeFirst();
      return row ? toRow(row) : undefined;
    },
    async levels(tenantId, keys, maxTypes) {
      const out = new Map<string, BackoffLevel & { next: Map<string, number> }>();
      if (keys.length === 0) return out;
      const heads = await reader.selectFrom('analytics_predict_contexts').select(['context', 'total', 'types'])
        .where('tenant_id', '=', tenantId).where('context', 'in', keys).execute();
      let truncated = false;
      const candidates = new Set<string>();
      for (const head of heads) {
        const rows = await reader.selectFrom('analytics_predict_counts').select(['next_type', 'n'])
          .where('tenant_id', '=', tenantId).where('context', '=', head.context)
          .orderBy('n', 'desc').orderBy('next_type').limit(maxTypes).execute();
        const next = new Map(rows.map((r) => [r.next_type, Number(r.n)]));
        for (const type of next.keys()) candidates.add(type);
        if (Number(head.types) > next.size) truncated = true;
        out.set(head.context, { total: Number(head.total), distinct: Number(head.types), next });
      }
      // A level read in part: complete every candidate's count in every level, so each is scored exactly.
      if (truncated) {
        for (const part of chunks([...candidates], 500)) {
          const rows = await reader.selectFrom('analytics_predict_counts').select(['context', 'next_type', 'n'])
            .where('tenant_id', '=', tenantId).where('context', 'in', [...out.keys()]).where('next_type', 'in', part).execute();
          for (const r of rows) out.get(r.context)!.next.set(r.next_type, Number(r.n));
        }
      }
      return out;
    },
    async eraseUser(tenantId, userId) {
      const result = await reader.deleteFrom('analytics_predict_persons').where('tenant_id', '=', tenantId).where('user_id', '=', userId).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}
