/**
 * Issue 4, items 6–7: two `serve --role api` and two `worker` processes on PostgreSQL (a fresh
 * schema), NATS JetStream (a stream and subject prefix of this run) and Redis. Events go in
 * through both APIs while one worker is killed with SIGKILL and started again. Afterwards every
 * acknowledged event is stored once, the `stats` projection counted each exactly once, the
 * indexer holds one document per article, the NATS stream holds each event once, the killed
 * worker's partitions are owned by live workers, and no consumer has lag or exception rows left.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consumersOf, drained, expectAppliedOnce, ProbeLoad } from '../helpers/cluster-load.js';
import { deleteStream } from '../helpers/nats.js';
import { childEnv, killAll, provisionTenant, runCommand, startServer, type ServerProcess } from '../helpers/processes.js';
import { freshPgSchema, natsUrl, redisUrl, uniqueSuffix, type FreshPgSchema } from '../helpers/services.js';

const run = uniqueSuffix();
const stream = `MP_${run}`;
const SENDERS = 4;
/** Four processes booting at once on a busy 2-core machine take a while. */
const BOOT_MS = 90_000;
let schema: FreshPgSchema;
let db: pg.Client;
let apis: ServerProcess[] = [];
let workers: ServerProcess[] = [];
let ingestKey: string;
let adminKey: string;

beforeAll(async () => {
  schema = await freshPgSchema();
  const env = childEnv({
    DATABASE_URL: schema.connectionString, DATABASE_SCHEMA: schema.schema,
    NATS_URL: natsUrl(), NATS_STREAM: stream, NATS_SUBJECT_PREFIX: `mp${run}`,
    REDIS_URL: redisUrl(), REDIS_KEY_PREFIX: `mp${run}:`,
    // Short leases: the killed worker's partitions move within the test.
    CONSUMER_LEASE_MS: '2000', CONSUMER_POLL_MS: '100', SHUTDOWN_GRACE_MS: '2000', LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
    RATE_LIMIT_PER_MINUTE: '1000000', TENANT_RATE_LIMIT_PER_MINUTE: '1000000',
  });
  await runCommand(['migrate'], env);
  ({ ingest: ingestKey, admin: adminKey } = await provisionTenant(schema.connectionString, schema.schema, 'acme', ['ingest', 'admin']) as { ingest: string; admin: string });
  probes = new ProbeLoad(() => apis, { label: 'mp', articleEvery: 5, users: 9, ingestKey });
  [apis, workers] = await Promise.all([
    Promise.all(['api-a', 'api-b'].map((name) => startServer(name, ['serve', '--role', 'api'], env, BOOT_MS))),
    // The embedded search index lives in one process's DATA_DIR, so one worker runs the indexer
    // (with several, QDRANT_URL is the shared index); both run stats.
    Promise.all([startServer('worker-1', ['worker'], env, BOOT_MS), startServer('worker-2', ['worker', '--consumers', 'stats'], env, BOOT_MS)]),
  ]);
  db = new pg.Client({ connectionString: schema.connectionString, options: `-c search_path=${schema.schema}` });
  await db.connect();
}, 2 * BOOT_MS);

afterAll(async () => {
  await killAll();
  await db?.end();
  await deleteStream(stream).catch(() => undefined);
  await schema?.drop();
});

/** What the clients send and were told. */
let probes: ProbeLoad;
const consumers = (api = apis[1]!) => consumersOf(api, adminKey);

describe('two API and two worker processes (PostgreSQL + NATS + Redis)', () => {
  it('answer health and metrics on every process', async () => {
    for (const server of [...apis, ...workers]) {
      expect((await fetch(`${server.url}/health/live`)).status, server.name).toBe(200);
      const ready = await fetch(`${server.url}/health/ready`);
      expect(ready.status, server.name).toBe(200);
      // The NATS publisher runs in the workers, so only their readiness depends on it.
      const components = apis.includes(server) ? { store: { ok: true } } : { store: { ok: true }, publisher: { ok: true } };
      expect(await ready.json(), server.name).toMatchObject({ status: 'ok', components });
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      expect(metrics, server.name).toContain('eventrag_consumer_lag_events');
    }
    // A worker serves no API.
    expect((await fetch(`${workers[0]!.url}/v1/events`)).status).toBe(404);
  });

  it('store every acknowledged event once and apply each exactly once across a worker crash', { timeout: 2 * BOOT_MS }, async () => {
    const senders = Array.from({ length: SENDERS }, (_, sender) => probes.send(sender));
    const victim = workers[0]!;
    let killed: string | null = null;
    let held: string[] = [];
    try {
      await probes.sendFor(300, 20_000);
      // What the worker leases when it dies (mid-stream: it is working those partitions). It is
      // the only one running the indexer, so the indexer's partitions name it.
      const before = await consumers();
      killed = before.find((c) => c.name === 'indexer')!.partitions[0]!.owner;
      held = before.flatMap((c) => c.partitions.filter((p) => p.owner === killed).map((p) => `${c.name}/${p.partition}`));
      await victim.kill('SIGKILL');
      await probes.sendFor(300, 20_000);
      probes.paused = true; // while it boots (a few seconds), not to pile up a backlog
      await victim.restart().finally(() => { probes.paused = false; });
      await probes.sendFor(200, 20_000);
    } finally {
      probes.stopped = true;
      await Promise.all(senders);
    }
    expect(probes.rejected).toEqual([]);

    const total = await drained(db, probes, consumers, workers);

    // The killed worker's partitions are leased by live workers now (the restarted one is a new owner).
    expect(killed).not.toBeNull();
    expect(held.length, 'the kill landed on a partition owner').toBeGreaterThanOrEqual(8);
    const after = await consumers();
    for (const name of held) {
      const [consumer, partition] = name.split('/');
      const row = after.find((c) => c.name === consumer)!.partitions.find((p) => p.partition === Number(partition))!;
      expect(row.owner !== null && row.owner !== killed, `${name} owned by ${row.owner}`).toBe(true);
    }
    console.info(`multi-process: ${probes.acked.size} events acknowledged through 2 APIs; ${held.length} partitions moved off the killed worker (${held.join(', ')})`);

    // Every acknowledged event is stored once, under the id its client was given.
    const rows = (await db.query<{ id: string; key: string }>(`select id, idempotency_key as key from events`)).rows;
    expect(rows).toHaveLength(probes.acked.size);
    const byKey = new Map(rows.map((r) => [r.key, r.id]));
    for (const [n, id] of probes.acked) expect(byKey.get(`mp-${n}`), `probe ${n}`).toBe(id);

    expect(await db.query(`select count(*) as n from consumer_failures where status = 'dead'`).then((r) => Number(r.rows[0].n))).toBe(0);
    await expectAppliedOnce(db, probes, total, stream, `mp${run}.evt.>`);

    // The API reports the same, and the workers' lag gauges are back to zero.
    for (const c of (await consumers(apis[0])).filter((i) => i.delivery === 'durable')) {
      expect(c, c.name).toMatchObject({ pending: 0, processing: 0, failed: 0, dead: 0, lagEvents: 0 });
    }
    for (const worker of workers) {
      const metrics = await (await fetch(`${worker.url}/metrics`)).text();
      expect(metrics).toMatch(/eventrag_consumer_lag_events\{consumer="stats"\} 0/);
    }
  });
});
