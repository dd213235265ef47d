/**
 * The synthetic projections of the ingest bench: `bench-counts-<i>` consumes every event (`*`)
 * and keeps a per-user count in its own table `bench_counts_<i>`, written in the batch's
 * transaction (so it commits together with the consumer's new position, like `stats`).
 * One multi-row upsert per batch, one row per distinct user of the batch.
 */
import { sql, type Kysely } from 'kysely';
import type { ConsumerDefinition } from '../../src/events/consumers/consumer.registry.js';
import type { LogEntry } from '../../src/ports/events.types.js';

export const countsTable = (i: number) => `bench_counts_${i}`;

/** Creates the tables of projections 1..n−1 (idempotent). */
export async function createCountTables(db: Kysely<any>, n: number): Promise<void> {
  for (let i = 1; i < n; i += 1) {
    await sql`create table if not exists ${sql.table(countsTable(i))} (
      tenant_id text not null, user_id text not null, count integer not null, primary key (tenant_id, user_id))`.execute(db);
  }
}

function perUser(events: LogEntry[]): Array<{ tenant_id: string; user_id: string; count: number }> {
  const rows = new Map<string, { tenant_id: string; user_id: string; count: number }>();
  for (const e of events) {
    if (e.userId === null) continue;
    const key = `${e.tenantId}\u0000${e.userId}`;
    const row = rows.get(key) ?? { tenant_id: e.tenantId, user_id: e.userId, count: 0 };
    row.count += 1;
    rows.set(key, row);
  }
  // Key order: concurrent batches of several processes lock rows in the same order.
  return [...rows.values()].sort((a, b) => (a.tenant_id + a.user_id < b.tenant_id + b.user_id ? -1 : 1));
}

/** Projection `i` (1-based: the real `stats` is the first of the N). */
export function countingConsumer(i: number): ConsumerDefinition {
  const table = countsTable(i);
  return {
    name: `bench-counts-${i}`,
    description: `Bench projection: events per user in ${table}`,
    types: ['*'],
    delivery: 'durable',
    batchSize: 512,
    async handleBatch(events, tx) {
      const rows = perUser(events);
      if (rows.length === 0) return;
      await (tx.db as Kysely<any>).insertInto(table).values(rows)
        .onConflict((oc) => oc.columns(['tenant_id', 'user_id']).doUpdateSet({ count: sql`${sql.ref(`${table}.count`)} + excluded.count` }))
        .execute();
    },
    rebuildTenant: async (tenantId, tx) => { await (tx.db as Kysely<any>).deleteFrom(table).where('tenant_id', '=', tenantId).execute(); },
  };
}
