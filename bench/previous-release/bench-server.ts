/**
 * The previous release's side of the ingest bench (written for the comparison, not part of that
 * release; it runs inside a checkout of 498154e made by prepare.sh, so this checkout does not
 * type-check it): `eventrag serve` plus N−1 synthetic exactly-once projections on `*`, done the way that
 * release did its own (`stats`): per batch, `consumer_applied` rows and a per-user count upsert in
 * one transaction, with one delivery row per event and consumer around them.
 */
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { sql, type Kysely } from 'kysely';
import { countSqliteWrites, sqliteWrites } from './sqlite-writes.js';

const { values } = parseArgs({ options: { consumers: { type: 'string', default: '1' }, 'stats-port': { type: 'string' }, role: { type: 'string', default: 'all' } } });
const n = Number(values.consumers);
countSqliteWrites();

const { loadConfig } = await import('../../src/config.js');
const { createApp } = await import('../../src/main.js');
type Event = { id: string; tenantId: string; userId: string | null };

function counting(db: Kysely<any>, i: number) {
  const table = `bench_counts_${i}`;
  const name = `bench-counts-${i}`;
  let batch: Array<{ event: Event; resolve: () => void; reject: (e: unknown) => void }> = [];
  let scheduled = false;
  async function flush(): Promise<void> {
    const items = batch;
    batch = [];
    scheduled = false;
    try {
      await db.transaction().execute(async (trx) => {
        const applied = await trx.insertInto('consumer_applied').values(items.map(({ event: e }) => ({ consumer: name, event_id: e.id, tenant_id: e.tenantId })))
          .onConflict((oc) => oc.columns(['consumer', 'event_id']).doNothing()).returning('event_id').execute();
        const fresh = new Set(applied.map((r: { event_id: string }) => r.event_id));
        const rows = new Map<string, { tenant_id: string; user_id: string; count: number }>();
        for (const { event: e } of items) {
          if (!fresh.delete(e.id) || e.userId === null) continue;
          const key = `${e.tenantId}\u0000${e.userId}`;
          const row = rows.get(key) ?? { tenant_id: e.tenantId, user_id: e.userId, count: 0 };
          row.count += 1;
          rows.set(key, row);
        }
        if (rows.size > 0) {
          await trx.insertInto(table).values([...rows.values()])
            .onConflict((oc) => oc.columns(['tenant_id', 'user_id']).doUpdateSet({ count: sql`${sql.ref(`${table}.count`)} + excluded.count` })).execute();
        }
      });
      for (const item of items) item.resolve();
    } catch (error) {
      for (const item of items) item.reject(error);
    }
  }
  return () => ({
    name, description: `Bench projection: events per user in ${table}`, types: ['*'], delivery: 'durable' as const, concurrency: 256,
    handle: (event: Event) => new Promise<void>((resolve, reject) => {
      batch.push({ event, resolve, reject });
      if (!scheduled) { scheduled = true; setImmediate(() => void flush()); }
    }),
  });
}

const config = loadConfig({ ROLE: values.role });
// The tables exist before the consumers start: created on a connection of their own.
let db: Kysely<any> | undefined;
const app = await createApp(config, { consumers: Array.from({ length: n - 1 }, (_, i) => (a: any) => { db = a.backends.store.db; return counting(a.backends.store.db, i + 1)(); }) as any });
for (let i = 1; i < n; i += 1) {
  await sql`create table if not exists ${sql.table(`bench_counts_${i}`)} (tenant_id text not null, user_id text not null, count integer not null, primary key (tenant_id, user_id))`.execute(db ?? (app.backends.store as any).db);
}
if (values['stats-port']) {
  const stats = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(sqliteWrites())));
  await new Promise<void>((resolve) => stats.listen(Number(values['stats-port']), '127.0.0.1', resolve));
  stats.unref();
}
process.on('SIGTERM', () => void app.stop().then(() => process.exit(0), () => process.exit(1)));
if (app.demo) process.stderr.write(`admin key : ${app.demo.adminKey}\ningest key: ${app.demo.ingestKey}\n`);
await app.startWorkers();
if (app.http) await app.http.listen({ port: config.PORT, host: config.HOST });
