import { sql, type Kysely } from 'kysely';
import { idTime } from '../../platform/ids.js';
import type { DeliveryStatus } from '../../ports/events.types.js';
import type { ConsumerCounts, DeliveryStore, EventStatsStore, OrderingField } from '../../ports/store.port.js';
import type { Database } from './db.types.js';
import type { SqlDialect } from './migrations.js';
import { applySelection } from './events.sql.js';
import { toDelivery } from './rows.js';

const ORDERING_COLUMN: Record<OrderingField, string> = { userId: 'user_id', sessionId: 'session_id', subject: 'subject' };

export function sqlDeliveryStore(db: Kysely<Database>, dialect: SqlDialect): DeliveryStore {
  // PostgreSQL workers in several processes must not claim the same rows; SQLite has one writer.
  const lockClause = dialect === 'postgres' ? sql`for update skip locked` : sql``;
  return {
    async claimDue(consumer, limit, now, leaseMs, ordered) {
      const orderedClause = ordered
        ? sql`and (d.ordering_key is null or not exists (select 1 from deliveries e where e.consumer = d.consumer
            and e.ordering_key = d.ordering_key and e.event_id < d.event_id and e.status not in ('done', 'dead')))`
        : sql``;
      const due = (status: string, condition = sql``) => sql`select d.event_id from deliveries d
        where d.consumer = ${consumer} and d.status = ${status} ${condition} ${orderedClause} order by d.event_id limit ${limit}`;
      // SQLite: one index range per state (deliveries_claim), so a claim does not walk the done rows;
      // an OR of the states makes it scan the consumer's whole history in primary-key order.
      const candidates = dialect === 'sqlite'
        ? sql`select event_id from (${due('pending')}) union all select event_id from (${due('failed', sql`and d.next_attempt_at <= ${now}`)})
            union all select event_id from (${due('processing', sql`and d.lease_until < ${now}`)}) order by event_id limit ${limit}`
        : sql`select d.event_id from deliveries d
          where d.consumer = ${consumer} and (d.status = 'pending'
            or (d.status = 'failed' and d.next_attempt_at <= ${now})
            or (d.status = 'processing' and d.lease_until < ${now}))
          ${orderedClause}
          order by d.event_id limit ${limit} ${lockClause}`;
      const result = await sql<{ event_id: string; tenant_id: string; attempts: number; ordering_key: string | null }>`
        update deliveries set status = 'processing', attempts = attempts + 1, lease_until = ${now + leaseMs}, updated_at = ${now}
        where consumer = ${consumer} and event_id in (${candidates})
        returning event_id, tenant_id, attempts, ordering_key`.execute(db);
      return result.rows
        .map((r) => ({ eventId: r.event_id, tenantId: r.tenant_id, attempts: Number(r.attempts), orderingKey: r.ordering_key }))
        .sort((a, b) => (a.eventId < b.eventId ? -1 : 1));
    },
    async begin(consumer, eventId, tenantId, now, leaseMs) {
      const row = await db.insertInto('deliveries').values({
        consumer, event_id: eventId, tenant_id: tenantId, status: 'processing', attempts: 1, last_error: null,
        next_attempt_at: null, lease_until: now + leaseMs, ordering_key: null, updated_at: now,
      }).onConflict((oc) => oc.columns(['consumer', 'event_id']).doUpdateSet({
        status: 'processing', attempts: sql`deliveries.attempts + 1`, lease_until: now + leaseMs, updated_at: now,
      }).where('deliveries.status', 'not in', ['done', 'dead'])).returning('attempts').executeTakeFirst();
      return row ? Number(row.attempts) : null;
    },
    async markDone(consumer, eventIds, now) {
      if (eventIds.length === 0) return;
      await db.updateTable('deliveries').set({ status: 'done', lease_until: null, next_attempt_at: null, updated_at: now })
        .where('consumer', '=', consumer).where('event_id', 'in', eventIds).execute();
    },
    async markFailed(consumer, eventId, error, nextAttemptAt, now) {
      await db.updateTable('deliveries')
        .set({ status: 'failed', last_error: error.slice(0, 2000), next_attempt_at: nextAttemptAt, lease_until: null, updated_at: now })
        .where('consumer', '=', consumer).where('event_id', '=', eventId).execute();
    },
    async markDead(consumer, eventId, error, now) {
      await db.updateTable('deliveries')
        .set({ status: 'dead', last_error: error.slice(0, 2000), next_attempt_at: null, lease_until: null, updated_at: now })
        .where('consumer', '=', consumer).where('event_id', '=', eventId).execute();
    },
    async release(consumer, eventIds, now) {
      if (eventIds.length === 0) return;
      await db.updateTable('deliveries').set({ status: 'pending', lease_until: null, updated_at: now })
        .where('consumer', '=', consumer).where('event_id', 'in', eventIds).where('status', '=', 'processing').execute();
    },
    async forEvent(tenantId, eventId) {
      const rows = await db.selectFrom('deliveries').selectAll()
        .where('tenant_id', '=', tenantId).where('event_id', '=', eventId).orderBy('consumer').execute();
      return rows.map(toDelivery);
    },
    async counts(tenantId) {
      const rows = await db.selectFrom('deliveries')
        .select(['consumer', 'status', sql<number>`count(*)`.as('n'), sql<string | null>`min(event_id)`.as('oldest')])
        .where('status', 'in', ['pending', 'processing', 'failed', 'dead'])
        .$if(tenantId !== null, (q) => q.where('tenant_id', '=', tenantId!))
        .groupBy(['consumer', 'status']).execute();
      const byConsumer = new Map<string, ConsumerCounts>();
      for (const row of rows) {
        const entry = byConsumer.get(row.consumer) ?? {
          consumer: row.consumer, pending: 0, processing: 0, failed: 0, dead: 0, oldestUndoneAt: null,
        };
        entry[row.status as Exclude<DeliveryStatus, 'done'>] = Number(row.n);
        if (row.status !== 'done' && row.status !== 'dead' && row.oldest) {
          const at = idTime(row.oldest);
          entry.oldestUndoneAt = entry.oldestUndoneAt === null ? at : Math.min(entry.oldestUndoneAt, at);
        }
        byConsumer.set(row.consumer, entry);
      }
      return [...byConsumer.values()];
    },
    async replay(tenantId, consumer, selection, orderingField, now) {
      const orderingExpr = orderingField ? sql.ref(`events.${ORDERING_COLUMN[orderingField]}`) : sql`null`;
      const select = applySelection(db.selectFrom('events').select([
        sql.lit(consumer).as('consumer'), 'events.id as event_id', 'events.tenant_id', sql.lit('pending').as('status'),
        sql.lit(0).as('attempts'), sql`${now}`.as('updated_at'), orderingExpr.as('ordering_key'),
      ]), tenantId, selection);
      const result = await db.insertInto('deliveries')
        .columns(['consumer', 'event_id', 'tenant_id', 'status', 'attempts', 'updated_at', 'ordering_key'])
        .expression(select as any)
        .onConflict((oc) => oc.columns(['consumer', 'event_id']).doUpdateSet({
          status: 'pending', attempts: 0, last_error: null, next_attempt_at: null, lease_until: null, updated_at: now,
        }))
        .executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0);
    },
    async deadExhausted(consumer, maxAttempts, now) {
      const result = await db.updateTable('deliveries')
        .set({ status: 'dead', last_error: 'the process handling the last attempt stopped before it finished', lease_until: null, updated_at: now })
        .where('consumer', '=', consumer).where('status', '=', 'processing').where('lease_until', '<', now).where('attempts', '>=', maxAttempts)
        .executeTakeFirst();
      return Number(result.numUpdatedRows);
    },
    async retryDead(tenantId, consumer, now) {
      const result = await db.updateTable('deliveries')
        .set({ status: 'pending', attempts: 0, next_attempt_at: null, lease_until: null, updated_at: now })
        .where('tenant_id', '=', tenantId).where('consumer', '=', consumer).where('status', '=', 'dead').executeTakeFirst();
      return Number(result.numUpdatedRows);
    },
    async pendingIds(tenantId, consumer, afterId, limit) {
      const rows = await db.selectFrom('deliveries').select('event_id')
        .where('tenant_id', '=', tenantId).where('consumer', '=', consumer).where('status', '=', 'pending')
        .$if(afterId !== null, (q) => q.where('event_id', '>', afterId!))
        .orderBy('event_id').limit(limit).execute();
      return rows.map((r) => r.event_id);
    },
  };
}

export function sqlEventStatsStore(db: Kysely<Database>): EventStatsStore {
  const HOUR = 3_600_000;
  return {
    async countOnce(consumer, events) {
      if (events.length === 0) return 0;
      return db.transaction().execute(async (trx) => {
        // Rows are locked in key order (events by id, counts by key): concurrent batches from
        // several processes then wait for each other instead of deadlocking.
        const applied = await trx.insertInto('consumer_applied')
          .values([...events].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)).map((e) => ({ consumer, event_id: e.id, tenant_id: e.tenantId })))
          .onConflict((oc) => oc.columns(['consumer', 'event_id']).doNothing())
          .returning('event_id').execute();
        const fresh = new Set(applied.map((r) => r.event_id));
        const increments = new Map<string, { tenant_id: string; type: string; hour: number; count: number }>();
        for (const e of events) {
          // Delete as we count, so an event listed twice in one call is counted once.
          if (!fresh.delete(e.id)) continue;
          const hour = Math.floor(e.time / HOUR) * HOUR;
          const key = `${e.tenantId}\u0000${e.type}\u0000${hour}`;
          const entry = increments.get(key) ?? { tenant_id: e.tenantId, type: e.type, hour, count: 0 };
          entry.count += 1;
          increments.set(key, entry);
        }
        for (const [, inc] of [...increments].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
          await trx.insertInto('event_counts').values(inc)
            .onConflict((oc) => oc.columns(['tenant_id', 'type', 'hour']).doUpdateSet({ count: sql`event_counts.count + ${inc.count}` }))
            .execute();
        }
        return applied.length;
      });
    },
    async totals(tenantId, from, to) {
      const rows = await db.selectFrom('event_counts').select(['type', 'hour', 'count'])
        .where('tenant_id', '=', tenantId).where('hour', '>=', Math.floor(from / HOUR) * HOUR).where('hour', '<', to)
        .orderBy('hour').orderBy('type').execute();
      return rows.map((r) => ({ type: r.type, hour: Number(r.hour), count: Number(r.count) }));
    },
    async appliedCount(consumer, tenantId) {
      const row = await db.selectFrom('consumer_applied').select(sql<number>`count(*)`.as('n'))
        .where('consumer', '=', consumer).where('tenant_id', '=', tenantId).executeTakeFirst();
      return Number(row?.n ?? 0);
    },
  };
}
