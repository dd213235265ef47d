/** The stats store over Kysely, one adapter for SQLite and PostgreSQL. */
import { sql, type Kysely } from 'kysely';
import type { StoreTx } from '../ports/store.port.js';
import { HOUR_MS, type StatsStore } from './stats.store.js';
import { compareText } from '../platform/lists.js';

interface StatsTables {
  event_counts: { tenant_id: string; type: string; hour: number; count: number };
}

interface Increment { tenant_id: string; type: string; hour: number; count: number }


/** One increment per tenant, type and hour, sorted by key (rows are locked in one order: no deadlocks). */
function increments(events: ReadonlyArray<{ tenantId: string; type: string; time: number }>): Increment[] {
  const byKey = new Map<string, Increment>();
  for (const e of events) {
    const hour = Math.floor(e.time / HOUR_MS) * HOUR_MS;
    const key = `${e.tenantId}\u0000${e.type}\u0000${hour}`;
    const entry = byKey.get(key) ?? { tenant_id: e.tenantId, type: e.type, hour, count: 0 };
    entry.count += 1;
    byKey.set(key, entry);
  }
  return [...byKey].sort(([a], [b]) => compareText(a, b)).map(([, inc]) => inc);
}

/** `db` serves the reads; writes go through the transaction each call is handed. */
export function sqlStatsStore(db: Kysely<any>): StatsStore {
  const reader = db as Kysely<StatsTables>;
  return {
    async countBatch(tx: StoreTx, events) {
      const trx = tx.db as Kysely<StatsTables>;
      const rows = increments(events);
      // A few hundred rows per statement keep each within both engines' parameter limits.
      for (let i = 0; i < rows.length; i += 200) {
        await trx.insertInto('event_counts').values(rows.slice(i, i + 200))
          .onConflict((oc) => oc.columns(['tenant_id', 'type', 'hour']).doUpdateSet({ count: sql`event_counts.count + excluded.count` }))
          .execute();
      }
    },
    async clearTenant(tx, tenantId) {
      await (tx.db as Kysely<StatsTables>).deleteFrom('event_counts').where('tenant_id', '=', tenantId).execute();
    },
    async totals(tenantId, from, to) {
      const rows = await reader.selectFrom('event_counts').select(['type', 'hour', 'count'])
        .where('tenant_id', '=', tenantId).where('hour', '>=', Math.floor(from / HOUR_MS) * HOUR_MS).where('hour', '<', to)
        .orderBy('hour').orderBy('type').execute();
      return rows.map((r) => ({ type: r.type, hour: Number(r.hour), count: Number(r.count) }));
    },
  };
}
