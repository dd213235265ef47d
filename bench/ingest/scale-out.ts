/**
 * Ingest benchmark, scale-out mode (issues 4 and 8), in one run on this machine:
 *  (e) the embedded shape: one server (SQLite), as in run.ts (b), with stats + K synthetic projections;
 *  (r) the scale-out shape with the real consumers only: two `serve --role api` and two `eventrag
 *      worker` processes on PostgreSQL (a fresh schema), NATS JetStream (a stream of this run,
 *      fed by the `nats-publisher` consumer) and Redis (rate limits);
 *  (s) the same with workers that also run K synthetic per-user count projections on `*`
 *      (bench/ingest/bench-server.ts --role worker: createApp's `consumers` option, as in run.ts).
 * All get `POST /v1/events/batch` with 100 events per request from 10 autocannon connections
 * (split over the two APIs); after the load, the lag (every consumer partition's position against
 * the head of the log, plus failed and parked events) is followed to zero. Needs the local
 * PostgreSQL, NATS and Redis.
 *
 *   node --import tsx bench/ingest/scale-out.ts [--seconds 15] [--synthetic 4] [--no-write]
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { Redis } from 'ioredis';
import pg from 'pg';
import { createPostgresStore } from '../../src/adapters/sql/postgres.store.js';
import { createApiKey } from '../../src/identity/keys.service.js';
import { countsTable } from './counting.consumers.js';
import { batchBody } from './bodies.js';
import { drain, load, type LoadResult } from './load.js';
import { launch, migrate, type Launched } from './scale-out.processes.js';
import { startEventrag } from './servers.js';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '15' }, synthetic: { type: 'string', default: '4' }, 'no-write': { type: 'boolean' } } });
const seconds = Number(values.seconds);
const synthetic = Number(values.synthetic);
const BENCH_SERVER = join(import.meta.dirname, 'bench-server.ts');
const WARMUP_S = 2;
const PG_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const NATS_URL = process.env.TEST_NATS_URL ?? 'nats://127.0.0.1:4222';
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const log = (line: string) => console.log(line);

interface Lag { backlogAtStop: number; secondsToZero: number }
type Phase = LoadResult & Lag;

async function embedded(dir: string): Promise<Phase> {
  const server = await startEventrag(dir, { script: BENCH_SERVER, consumers: synthetic + 1 });
  try {
    const url = `${server.url}/v1/events/batch`;
    await load(url, batchBody, 100, WARMUP_S, server.ingestKey);
    await drain(server.url, server.adminKey, dir);
    const result = await load(url, batchBody, 100, seconds, server.ingestKey);
    return { ...result, ...(await drain(server.url, server.adminKey, dir)) };
  } finally {
    await server.stop();
  }
}

/** Both APIs at once, five connections each; figures summed (latencies: the worse of the two). */
async function loadBoth(apis: Launched[], key: string, duration: number): Promise<LoadResult> {
  const results = await Promise.all(apis.map((api) => load(`${api.url}/v1/events/batch`, batchBody, 100, duration, key, 5)));
  return {
    requestsPerSecond: results.reduce((sum, r) => sum + r.requestsPerSecond, 0),
    eventsPerSecond: results.reduce((sum, r) => sum + r.eventsPerSecond, 0),
    p50Ms: Math.max(...results.map((r) => r.p50Ms)),
    p99Ms: Math.max(...results.map((r) => r.p99Ms)),
    requests: results.reduce((sum, r) => sum + r.requests, 0),
    seconds: duration,
  };
}

/**
 * Follows the lag in PostgreSQL down to zero: per consumer, the head of the log minus its lowest
 * partition position, plus its failed and parked events. (The API processes do not know the
 * workers' synthetic consumers, so GET /v1/consumers would not list them.)
 */
async function pgDrain(db: pg.Client, timeoutMs = 120_000): Promise<Lag> {
  const started = performance.now();
  let backlogAtStop: number | null = null;
  for (;;) {
    const { rows } = await db.query<{ n: number }>(
      `select coalesce(sum(lag), 0) + (select count(*) from consumer_failures where status in ('failed', 'parked')) as n
         from (select (select coalesce(max(seq), 0) from events) - min(position) as lag from consumer_positions group by consumer) per_consumer`);
    const lag = Number(rows[0]!.n);
    backlogAtStop ??= lag;
    if (lag === 0) return { backlogAtStop, secondsToZero: (performance.now() - started) / 1000 };
    if (performance.now() - started > timeoutMs) throw new Error(`consumer lag still ${lag} after ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** `withSynthetic`: the workers run bench-server.ts with stats + K synthetic projections; else `eventrag worker`. */
async function scaleOut(dir: string, withSynthetic: boolean): Promise<Phase & { events: number; consumers: string[] }> {
  const run = randomBytes(4).toString('hex');
  const schema = `bench_${run}`;
  const stream = `BENCH_${run}`;
  const env: NodeJS.ProcessEnv = {
    DATABASE_URL: PG_URL, DATABASE_SCHEMA: schema, NATS_URL, NATS_STREAM: stream, NATS_SUBJECT_PREFIX: `b${run}`,
    REDIS_URL, REDIS_KEY_PREFIX: `bench${run}:`, DEMO_TENANT: 'false',
    RATE_LIMIT_PER_MINUTE: '100000000', TENANT_RATE_LIMIT_PER_MINUTE: '100000000',
  };
  const store = createPostgresStore({ connectionString: PG_URL, schema, maxConnections: 2 });
  const db = new pg.Client({ connectionString: PG_URL, options: `-c search_path=${schema}` });
  const children: Launched[] = [];
  try {
    await migrate({ ...env, DATA_DIR: join(dir, 'migrate') });
    const { tenant } = await store.tenants.ensure('bench');
    const { key } = await createApiKey(store, { tenantId: tenant.id, role: 'ingest' });
    await store.close();
    const apis = await Promise.all(['api-a', 'api-b'].map((name) => launch(name, ['serve', '--role', 'api'], { ...env, DATA_DIR: join(dir, name) })));
    children.push(...apis);
    await db.connect();
    for (let i = 1; i <= synthetic; i += 1) {
      await db.query(`create table if not exists ${countsTable(i)} (tenant_id text not null, user_id text not null, count integer not null, primary key (tenant_id, user_id))`);
    }
    const worker = withSynthetic ? { script: BENCH_SERVER, args: ['--role', 'worker', '--consumers', String(synthetic + 1)] } : { args: ['worker'] };
    children.push(...await Promise.all(['worker-1', 'worker-2'].map((name) => launch(name, worker.args, { ...env, DATA_DIR: join(dir, name) }, worker.script))));
    await loadBoth(apis, key, WARMUP_S);
    await pgDrain(db);
    const result = await loadBoth(apis, key, seconds);
    const lag = await pgDrain(db);
    const { rows } = await db.query<{ n: number }>('select count(*) as n from events');
    const names = await db.query<{ consumer: string }>('select distinct consumer from consumer_positions order by consumer');
    return { ...result, ...lag, events: Number(rows[0]!.n), consumers: names.rows.map((r) => r.consumer) };
  } finally {
    await Promise.all(children.map((child) => child.stop()));
    await db.end().catch(() => undefined);
    await cleanUp(schema, stream, `bench${run}:`);
  }
}

async function cleanUp(schema: string, stream: string, redisPrefix: string): Promise<void> {
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  await admin.query(`drop schema if exists "${schema}" cascade`).finally(() => admin.end());
  const nc = await connect({ servers: NATS_URL });
  await (await jetstreamManager(nc)).streams.delete(stream).catch(() => false);
  await nc.close();
  const redis = new Redis(REDIS_URL);
  const keys = await redis.keys(`${redisPrefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
}

type Scaled = Phase & { events: number; consumers: string[] };

const START = '<!-- bench:scale-out-log:start (written by bench/ingest/scale-out.ts) -->';
const END = '<!-- bench:scale-out-log:end -->';

/** Writes the figures between their markers, placed after run.ts's figures the first time. */
function writeSection(e: Phase, r: Scaled, s: Scaled): string {
  const file = join(import.meta.dirname, '..', '..', 'BENCHMARKS.md');
  const row = (p: Phase) => `${fmt(p.eventsPerSecond)} events/s (${fmt(p.requestsPerSecond)} req/s), p50 ${p.p50Ms} ms, p99 ${p.p99Ms} ms`;
  const lag = (p: Phase) => `${fmt(p.backlogAtStop)} → 0 in ${p.secondsToZero.toFixed(2)} s`;
  const section = [
    START,
    `Measured ${new Date().toISOString().slice(0, 10)} on ${cpus().length} cores (${cpus()[0]?.model.split(' ').slice(0, 2).join(' ') ?? 'cpu'}), ${Math.round(totalmem() / 2 ** 30)} GB, Node ${process.version}; `
      + `${seconds} s of load after a ${WARMUP_S} s warm-up; \`node --import tsx bench/ingest/scale-out.ts --seconds ${seconds} --synthetic ${synthetic}\`.`,
    'All shapes take `POST /v1/events/batch` (100 events per request) from 10 autocannon connections in the bench process,',
    'split over the two API processes in (r) and (s). PostgreSQL, NATS and Redis run on the same 2 cores.',
    '',
    '| shape | consumers (with positions in the store) | ingest | lag after the load |',
    '|---|---|---|---|',
    `| (e) embedded: one server (SQLite) | stats + ${synthetic} synthetic, identity, indexer | ${row(e)} | ${lag(e)} |`,
    `| (r) 2 × \`serve --role api\` + 2 × \`worker\` (PostgreSQL, NATS, Redis) | ${r.consumers.join(', ')} | ${row(r)} | ${lag(r)} |`,
    `| (s) the same, workers with ${synthetic} synthetic projections | ${s.consumers.join(', ')} | ${row(s)} | ${lag(s)} |`,
    END,
  ].join('\n');
  const text = readFileSync(file, 'utf8');
  const start = text.indexOf(START);
  const end = text.indexOf(END);
  const after = text.indexOf('<!-- bench:backbone:end -->');
  const next = start >= 0 && end > start ? text.slice(0, start) + section + text.slice(end + END.length)
    : after >= 0 ? `${text.slice(0, after + 27)}\n\n${section}${text.slice(after + 27)}`
      : `${text.trimEnd()}\n\n${section}\n`;
  writeFileSync(file, next);
  return file;
}

const dir = mkdtempSync(join(tmpdir(), 'eventrag-bench-scale-'));
try {
  log(`eventrag scale-out ingest bench: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, ${seconds} s per phase, ${synthetic} synthetic projections`);
  const e = await embedded(join(dir, 'embedded'));
  log(`(e) embedded:  ${fmt(e.eventsPerSecond)} events/s, p50 ${e.p50Ms} ms, p99 ${e.p99Ms} ms; lag ${fmt(e.backlogAtStop)} → 0 in ${e.secondsToZero.toFixed(2)} s`);
  const r = await scaleOut(join(dir, 'scale-out-real'), false);
  log(`(r) scale-out, real consumers (${r.consumers.join(', ')}): ${fmt(r.eventsPerSecond)} events/s, p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms; lag ${fmt(r.backlogAtStop)} → 0 in ${r.secondsToZero.toFixed(2)} s (${fmt(r.events)} events stored)`);
  const s = await scaleOut(join(dir, 'scale-out-synthetic'), true);
  log(`(s) scale-out, with synthetic (${s.consumers.join(', ')}): ${fmt(s.eventsPerSecond)} events/s, p50 ${s.p50Ms} ms, p99 ${s.p99Ms} ms; lag ${fmt(s.backlogAtStop)} → 0 in ${s.secondsToZero.toFixed(2)} s (${fmt(s.events)} events stored)`);
  if (!values['no-write']) log(`written to ${writeSection(e, r, s)}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
