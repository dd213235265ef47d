/**
 * Issue 4, item 2: while NATS is down, ingest keeps answering 202 and the events wait in the
 * outbox; when NATS is back the relay publishes them and every durable consumer applies each
 * event exactly once. Runs on PostgreSQL (own schema) and a private nats-server, which the test
 * stops and starts (the shared server on 4222 is never touched).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestApp, type TestApp } from '../helpers/app.js';
import { canSpawnNatsServer, spawnNatsServer, type NatsServerProcess } from '../helpers/nats.js';
import { freshPgSchema, uniqueSuffix, type FreshPgSchema } from '../helpers/services.js';

const TYPE = 'outage.probe';
let nats: NatsServerProcess;
let schema: FreshPgSchema;
let t: TestApp;

beforeAll(async () => {
  if (!canSpawnNatsServer) return;
  nats = await spawnNatsServer();
  schema = await freshPgSchema();
  const run = uniqueSuffix();
  t = await startTestApp({
    DATABASE_URL: schema.connectionString, DATABASE_SCHEMA: schema.schema,
    NATS_URL: nats.url, NATS_STREAM: `OUTAGE_${run}`, NATS_SUBJECT_PREFIX: `o${run}`,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent', RATE_LIMIT_PER_MINUTE: 1_000_000, TENANT_RATE_LIMIT_PER_MINUTE: 1_000_000,
  });
}, 60_000);

afterAll(async () => {
  try {
    await t?.close();
  } finally {
    await nats?.dispose(); // never leave the private nats-server running, even when close failed
    await schema?.drop();
  }
});

async function ingest(from: number, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let n = from; n < from + count; n += 1) {
    const res = await t.call('POST', '/v1/events', { type: TYPE, userId: `u${n % 3}`, data: { n } }, t.ingestKey);
    expect(res.statusCode, res.body).toBe(202);
    ids.push(res.json().id as string);
  }
  return ids;
}

interface ConsumerRow { name: string; delivery: string; pending: number; processing: number; failed: number; dead: number }

async function durableConsumers(): Promise<ConsumerRow[]> {
  const { items } = (await t.call('GET', '/v1/consumers')).json() as { items: ConsumerRow[] };
  return items.filter((c) => c.delivery === 'durable');
}

describe.runIf(canSpawnNatsServer)('relay during a NATS outage (PostgreSQL + private nats-server)', () => {
  it('keeps accepting events into the outbox and catches up exactly once when NATS returns', { timeout: 60_000 }, async () => {
    const before = await ingest(0, 5);
    await eventually(async () => (await t.app.backends.store.stats.appliedCount('stats', (await tenantId()))) === 5, 15_000);

    await nats.stop();
    await eventually(async () => !(await t.app.backends.bus.ready()).ok, 10_000);
    const during = await ingest(5, 40);
    const ready = await t.call('GET', '/health/ready', undefined, null);
    expect(ready.statusCode).toBe(503);
    // Nothing can leave the outbox while the bus is down.
    expect(await t.app.backends.store.outbox.size()).toBe(during.length);

    await nats.start();
    await eventually(async () => (await t.app.backends.store.outbox.size()) === 0, 20_000, 100);
    const after = await ingest(45, 5);
    const total = before.length + during.length + after.length;

    const drained = await eventually(async () => {
      const durable = await durableConsumers();
      const applied = await t.app.backends.store.stats.appliedCount('stats', await tenantId());
      return applied === total && durable.every((c) => c.pending + c.processing + c.failed === 0) && durable;
    }, 30_000, 100);
    for (const consumer of drained) expect(consumer, consumer.name).toMatchObject({ pending: 0, processing: 0, failed: 0, dead: 0 });
    // The stats consumer's effect: one applied mark and one count per event.
    expect(await t.app.backends.store.stats.appliedCount('stats', await tenantId())).toBe(total);
    const totals = await t.app.backends.store.stats.totals(await tenantId(), 0, Date.now() + 3_600_000);
    expect(totals.filter((r) => r.type === TYPE).reduce((sum, r) => sum + r.count, 0)).toBe(total);
    expect((await t.call('GET', '/health/ready', undefined, null)).statusCode).toBe(200);
  });
});

async function tenantId(): Promise<string> {
  const tenant = await t.app.backends.store.tenants.bySlug('demo');
  if (!tenant) throw new Error('no demo tenant');
  return tenant.id;
}
