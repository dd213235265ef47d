/**
 * Consumer positions (with their partition leases), exception rows and replay cursors: all the
 * state the consumers keep. Successful deliveries write nothing here per event; a consumer
 * advances a partition's position once per batch.
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import type { EventSelection } from '../../ports/events.types.js';
import type {
  ConsumerPosition, FailureCounts, FailureRecord, FailureStatus, FailureStore, PositionStore, ReplayCursor, ReplayStore, StoreTx,
} from '../../ports/store.port.js';
import type { ConsumerFailuresTable, ConsumerPositionsTable, ConsumerReplaysTable, Database } from './db.types.js';
import type { SqlDialect } from './migrations.js';

type Db = Kysely<Database> | Transaction<Database>;

const on = (db: Kysely<Database>, tx?: StoreTx): Db => (tx ? (tx.db as Transaction<Database>) : db);

function toPosition(row: ConsumerPositionsTable): ConsumerPosition {
  return {
    consumer: row.consumer, partition: Number(row.partition), position: Number(row.position), owner: row.owner,
    leaseUntil: row.lease_until === null ? null : Number(row.lease_until), updatedAt: Number(row.updated_at),
  };
}

function toFailure(row: ConsumerFailuresTable): FailureRecord {
  return {
    consumer: row.consumer, eventId: row.event_id, tenantId: row.tenant_id, seq: Number(row.seq), partition: Number(row.partition),
    orderingKey: row.ordering_key, status: row.status as FailureStatus, attempts: Number(row.attempts), lastError: row.last_error,
    nextAttemptAt: row.next_attempt_at === null ? null : Number(row.next_attempt_at), updatedAt: Number(row.updated_at),
  };
}

function toReplay(row: ConsumerReplaysTable): ReplayCursor {
  return {
    id: row.id, partition: Number(row.partition), consumer: row.consumer, tenantId: row.tenant_id,
    selection: JSON.parse(row.selection) as EventSelection, position: Number(row.position), upTo: Number(row.up_to),
    createdAt: Number(row.created_at), finishedAt: row.finished_at === null ? null : Number(row.finished_at),
  };
}

export function sqlPositionStore(db: Kysely<Database>, dialect: SqlDialect): PositionStore {
  // PostgreSQL: workers of several processes rebalance one consumer's partitions one at a time.
  const lockRows = dialect === 'postgres' ? sql` for update` : sql``;
  return {
    async ensure(consumer, partitions, startAt, now) {
      const existing = await db.selectFrom('consumer_positions').select(['partition', 'position']).where('consumer', '=', consumer).execute();
      const have = new Set(existing.map((r) => Number(r.partition)));
      // A partition added later starts where the slowest one stands: nothing of its keys is skipped.
      const start = existing.length === 0 ? startAt : Math.min(...existing.map((r) => Number(r.position)));
      const missing = Array.from({ length: partitions }, (_, p) => p).filter((p) => !have.has(p));
      if (missing.length === 0) return;
      await db.insertInto('consumer_positions')
        .values(missing.map((partition) => ({ consumer, partition, position: start, owner: null, lease_until: null, updated_at: now })))
        .onConflict((oc) => oc.columns(['consumer', 'partition']).doNothing()).execute();
    },
    async list(consumer, tx) {
      const rows = await on(db, tx).selectFrom('consumer_positions').selectAll()
        .$if(consumer !== undefined, (q) => q.where('consumer', '=', consumer!)).orderBy('consumer').orderBy('partition')
        .$if(tx !== undefined && dialect === 'postgres', (q) => q.forUpdate()).execute();
      return rows.map(toPosition);
    },
    async acquire(consumer, owner, now, leaseMs, partitions) {
      return db.transaction().execute(async (trx) => {
        await trx.insertInto('consumer_members').values({ consumer, owner, seen_at: now })
          .onConflict((oc) => oc.columns(['consumer', 'owner']).doUpdateSet({ seen_at: now })).execute();
        await trx.deleteFrom('consumer_members').where('consumer', '=', consumer).where('seen_at', '<', now - 3 * leaseMs).execute();
        const members = await trx.selectFrom('consumer_members').select(sql<number>`count(*)`.as('n'))
          .where('consumer', '=', consumer).where('seen_at', '>=', now - leaseMs).executeTakeFirst();
        const fair = Math.ceil(partitions / Math.max(1, Number(members?.n ?? 1)));
        const rows = (await sql<{ partition: number; owner: string | null; lease_until: number | null }>`select partition, owner, lease_until
          from consumer_positions where consumer = ${consumer} and partition < ${partitions} order by partition${lockRows}`.execute(trx)).rows;
        const mine = rows.filter((r) => r.owner === owner).map((r) => Number(r.partition));
        const free = rows.filter((r) => r.owner !== owner && (r.owner === null || Number(r.lease_until ?? 0) < now)).map((r) => Number(r.partition));
        const keep = mine.slice(0, fair);
        const giveBack = mine.slice(fair);
        const take = free.slice(0, Math.max(0, fair - keep.length));
        if (giveBack.length > 0) {
          await trx.updateTable('consumer_positions').set({ owner: null, lease_until: null })
            .where('consumer', '=', consumer).where('partition', 'in', giveBack).where('owner', '=', owner).execute();
        }
        const held = [...keep, ...take];
        if (held.length > 0) {
          await trx.updateTable('consumer_positions').set({ owner, lease_until: now + leaseMs })
            .where('consumer', '=', consumer).where('partition', 'in', held).execute();
        }
        return held.sort((a, b) => a - b);
      });
    },
    async release(consumer, owner, partitions) {
      await db.updateTable('consumer_positions').set({ owner: null, lease_until: null })
        .where('consumer', '=', consumer).where('owner', '=', owner)
        .$if(partitions !== undefined, (q) => q.where('partition', 'in', partitions!.length > 0 ? partitions! : [-1])).execute();
      if (partitions === undefined) await db.deleteFrom('consumer_members').where('consumer', '=', consumer).where('owner', '=', owner).execute();
    },
    async advance(consumer, partition, owner, { from, to }, now, tx) {
      const result = await on(db, tx).updateTable('consumer_positions')
        .set({ position: Math.max(from, to), updated_at: now })
        .where('consumer', '=', consumer).where('partition', '=', partition).where('owner', '=', owner)
        .where('position', '=', from).executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },
    async reset(consumer, position, now) {
      // The leases go too, and a worker still running from its position in memory fails its next
      // advance (the stored position is no longer the one it wrote), so the partition starts
      // again from the stored position even when the same worker takes it again at once.
      await db.updateTable('consumer_positions').set({ position, owner: null, lease_until: null, updated_at: now }).where('consumer', '=', consumer).execute();
    },
  };
}

export function sqlFailureStore(db: Kysely<Database>): FailureStore {
  return {
    async put(rows, tx) {
      if (rows.length === 0) return;
      const values = rows.map((r) => ({
        consumer: r.consumer, event_id: r.eventId, tenant_id: r.tenantId, seq: r.seq, partition: r.partition, ordering_key: r.orderingKey,
        status: r.status, attempts: r.attempts, last_error: r.lastError?.slice(0, 2000) ?? null, next_attempt_at: r.nextAttemptAt, updated_at: r.updatedAt,
      }));
      await on(db, tx).insertInto('consumer_failures').values(values)
        .onConflict((oc) => oc.columns(['consumer', 'event_id']).doUpdateSet((eb) => ({
          status: eb.ref('excluded.status'), attempts: eb.ref('excluded.attempts'), last_error: eb.ref('excluded.last_error'),
          next_attempt_at: eb.ref('excluded.next_attempt_at'), updated_at: eb.ref('excluded.updated_at'),
          partition: eb.ref('excluded.partition'), ordering_key: eb.ref('excluded.ordering_key'),
        }))).execute();
    },
    async due(consumer, partitions, now, limit) {
      if (partitions.length === 0) return [];
      const rows = await db.selectFrom('consumer_failures').selectAll().where('consumer', '=', consumer).where('partition', 'in', partitions)
        .where('status', '=', 'failed').where('next_attempt_at', '<=', now).orderBy('seq').limit(limit).execute();
      return rows.map(toFailure);
    },
    async blocking(consumer, partition) {
      const rows = await db.selectFrom('consumer_failures').selectAll().where('consumer', '=', consumer).where('partition', '=', partition)
        .where('status', 'in', ['failed', 'parked']).orderBy('seq').execute();
      return rows.map(toFailure);
    },
    async parked(consumer, partition, orderingKey, limit) {
      const rows = await db.selectFrom('consumer_failures').selectAll().where('consumer', '=', consumer).where('partition', '=', partition)
        .where('status', '=', 'parked').where('ordering_key', '=', orderingKey).orderBy('seq').limit(limit).execute();
      return rows.map(toFailure);
    },
    async above(consumer, seq, limit) {
      const rows = await db.selectFrom('consumer_failures').selectAll().where('consumer', '=', consumer).where('seq', '>', seq).orderBy('seq').limit(limit).execute();
      return rows.map(toFailure);
    },
    async remove(consumer, eventIds, tx) {
      if (eventIds.length === 0) return;
      await on(db, tx).deleteFrom('consumer_failures').where('consumer', '=', consumer).where('event_id', 'in', eventIds).execute();
    },
    async forEvent(tenantId, eventId) {
      const rows = await db.selectFrom('consumer_failures').selectAll().where('tenant_id', '=', tenantId).where('event_id', '=', eventId).orderBy('consumer').execute();
      return rows.map(toFailure);
    },
    async counts(tenantId) {
      const rows = await db.selectFrom('consumer_failures')
        .select(['consumer', 'status', sql<number>`count(*)`.as('n'), sql<number | null>`min(seq)`.as('oldest')])
        .where('status', 'in', ['failed', 'parked', 'dead'])
        .$if(tenantId !== null, (q) => q.where('tenant_id', '=', tenantId!))
        .groupBy(['consumer', 'status']).execute();
      const byConsumer = new Map<string, FailureCounts>();
      for (const row of rows) {
        const entry = byConsumer.get(row.consumer) ?? { consumer: row.consumer, failed: 0, parked: 0, dead: 0, oldestSeq: null };
        entry[row.status as 'failed' | 'parked' | 'dead'] = Number(row.n);
        if (row.status !== 'dead' && row.oldest !== null) entry.oldestSeq = Math.min(entry.oldestSeq ?? Infinity, Number(row.oldest));
        byConsumer.set(row.consumer, entry);
      }
      return [...byConsumer.values()];
    },
    async retryDead(tenantId, consumer, now) {
      const result = await db.updateTable('consumer_failures').set({ status: 'failed', attempts: 0, next_attempt_at: now, updated_at: now })
        .where('tenant_id', '=', tenantId).where('consumer', '=', consumer).where('status', '=', 'dead').executeTakeFirst();
      return Number(result.numUpdatedRows);
    },
  };
}

export function sqlReplayStore(db: Kysely<Database>): ReplayStore {
  return {
    async open(cursors, tx) {
      if (cursors.length === 0) return;
      await on(db, tx).insertInto('consumer_replays').values(cursors.map((c) => ({
        id: c.id, partition: c.partition, consumer: c.consumer, tenant_id: c.tenantId, selection: JSON.stringify(c.selection),
        position: c.position, up_to: c.upTo, created_at: c.createdAt, finished_at: c.finishedAt,
      }))).execute();
    },
    async active(consumer, partitions) {
      if (partitions.length === 0) return [];
      const rows = await db.selectFrom('consumer_replays').selectAll().where('consumer', '=', consumer)
        .where('partition', 'in', partitions).where('finished_at', 'is', null).orderBy('created_at').execute();
      return rows.map(toReplay);
    },
    async openCursors(tenantId) {
      const rows = await db.selectFrom('consumer_replays').selectAll().where('finished_at', 'is', null)
        .$if(tenantId !== null, (q) => q.where('tenant_id', '=', tenantId!)).execute();
      return rows.map(toReplay);
    },
    async advance(id, partition, position, finished, now, tx) {
      await on(db, tx).updateTable('consumer_replays').set({ position, ...(finished ? { finished_at: now } : {}) })
        .where('id', '=', id).where('partition', '=', partition).execute();
    },
  };
}
