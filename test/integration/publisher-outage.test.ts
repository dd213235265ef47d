/**
 * NATS is an outside publisher, not the backbone: while it is down, ingest keeps answering 202
 * and the internal consumers (stats) keep applying events, since they read the log; only the
 * `nats-publisher` consumer's deliveries fail and are retried. Once NATS is back every event
 * reaches the stream, each once. Runs on PostgreSQL (own schema) and a private nats-server,
 * which the test stops and starts (the shared server on 4222 is never touched).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { subjectScheme } from '../../src/adapters/bus/nats/nats.subjects.js';
import { eventually, startTestApp, type TestApp } from '../helpers/app.js';
import { canSpawnNatsServer, readStream, spawnNatsServer, type NatsServerProcess } from '../helpers/nats.js';
import { freshPgSchema, uniqueSuffix, type FreshPgSchema } from '../helpers/services.js';

const TYPE = 'outage.probe';
const run = uniqueSuffix();
const stream = `OUTAGE_${run}`;
const prefix = `o${run}`;
let nats: NatsServerProcess;
let schema: FreshPgSchema;
let t: TestApp;

beforeAll(async () => {
  if (!canSpawnNatsServer) return;
  nats = await spawnNatsServer();
  schema = await freshPgSchema();
  t = await startTestApp({
    DATABASE_URL: schema.connectionString, DATABASE_SCHEMA: schema.schema,
    NATS_URL: nats.url, NATS_STREAM: stream, NATS_SUBJECT_PREFIX: prefix,
    // Retries keep coming during the outage (short backoff) and none goes dead before NATS is back.
    CONSUMER_BACKOFF_MAX_MS: 300, CONSUMER_MAX_ATTEMPTS: 10_000,
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

interface ConsumerRow { name: string; delivery: string; pending: number; failed: number; dead: number; parked: number; lagEvents: number }

async function consumer(name: string): Promise<ConsumerRow> {
  const { items } = (await t.call('GET', '/v1/consumers')).json() as { items: ConsumerRow[] };
  const row = items.find((c) => c.name === name);
  if (!row) throw new Error(`no consumer ${name} in ${JSON.stringify(items)}`);
  return row;
}

/** The probes the stats projection has counted (GET /v1/events/stats). */
async function counted(): Promise<number> {
  const { items } = (await t.call('GET', '/v1/events/stats')).json() as { items: Array<{ type: string; count: number }> };
  return items.filter((r) => r.type === TYPE).reduce((sum, r) => sum + r.count, 0);
}

async function publisherHealth(): Promise<{ ok: boolean }> {
  const res = await t.call('GET', '/health/ready', undefined, null);
  return (res.json() as { components: Record<string, { ok: boolean }> }).components.publisher!;
}

/** The probes on the stream, read by a consumer created on it (as another service would). */
async function onStream() {
  return (await readStream(stream, { url: nats.url, filter: `${prefix}.evt.>` })).filter((m) => m.subject.endsWith(`.${TYPE}`));
}

describe.runIf(canSpawnNatsServer)('NATS outage (PostgreSQL + private nats-server)', () => {
  it('ingest and internal consumers go on; the publisher retries and every event reaches the stream once NATS is back', { timeout: 90_000 }, async () => {
    const before = await ingest(0, 5);
    await eventually(async () => (await onStream()).length === 5 && (await counted()) === 5, 15_000, 100);

    await nats.stop();
    await eventually(async () => !(await publisherHealth()).ok, 10_000, 50);
    const during = await ingest(5, 40);
    // The projection reads the log: it applies every event while NATS is down.
    await eventually(async () => (await counted()) === 45, 15_000, 100);
    const stats = await consumer('stats');
    expect(stats).toMatchObject({ failed: 0, dead: 0, parked: 0 });
    // The publisher's deliveries failed and wait for their next attempt.
    const failing = await eventually(async () => {
      const c = await consumer('nats-publisher');
      return c.failed === during.length && c;
    }, 15_000, 100);
    expect(failing.dead).toBe(0);
    const one = (await t.call('GET', `/v1/events/${during[0]}`)).json() as { deliveries: Array<{ consumer: string; status: string; attempts: number; lastError: string | null }> };
    expect(one.deliveries.find((d) => d.consumer === 'stats')).toMatchObject({ status: 'done' });
    const publishing = one.deliveries.find((d) => d.consumer === 'nats-publisher')!;
    expect(publishing.status).toBe('failed');
    expect(publishing.attempts).toBeGreaterThanOrEqual(1);
    expect(publishing.lastError).toMatch(/NATS/);

    await nats.start();
    await eventually(async () => (await publisherHealth()).ok, 20_000, 100);
    const after = await ingest(45, 5);
    const sent = [...before, ...during, ...after];

    const messages = await eventually(async () => {
      const got = await onStream();
      return got.length >= sent.length && got;
    }, 30_000, 200);
    // Each event once (a retried publication has the same message id and is dropped), on its subject, as its JSON.
    expect(messages.map((m) => m.msgId).sort()).toEqual([...sent].sort());
    const tenant = (await t.app.backends.store.tenants.bySlug('demo'))!;
    const subject = subjectScheme(prefix).event(tenant.id, TYPE);
    for (const m of messages) {
      expect(m.subject).toBe(subject);
      expect(JSON.parse(m.data)).toMatchObject({ id: m.msgId, type: TYPE, tenantId: tenant.id });
    }
    const settled = await eventually(async () => {
      const c = await consumer('nats-publisher');
      return c.failed + c.pending === 0 && c;
    }, 15_000, 100);
    expect(settled).toMatchObject({ failed: 0, dead: 0, pending: 0 });
    const published = (await t.call('GET', `/v1/events/${during[0]}`)).json() as { deliveries: Array<{ consumer: string; status: string; attempts: number }> };
    expect(published.deliveries.find((d) => d.consumer === 'nats-publisher')).toMatchObject({ status: 'done' });
    expect(await counted()).toBe(sent.length);
  });
});
