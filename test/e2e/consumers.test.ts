/** Delivery states, retries with backoff, dead letters, ordering per key, replay and retry-dead. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConsumerDefinition } from '../../src/events/consumers/consumer.registry.js';
import { backoffDelay } from '../../src/events/consumers/partitions.js';
import { NonRetriableError, RetryAfterError } from '../../src/platform/errors.js';
import { eventually, startTestApp, type TestApp } from '../helpers/app.js';

const applied: Record<string, string[]> = { flaky: [], ordered: [], picky: [] };
const failuresLeft = new Map<string, number>();

const flaky: ConsumerDefinition = {
  name: 'flaky', description: 'fails a set number of times per event', types: ['job.*'], delivery: 'durable', maxAttempts: 3,
  async handle(event) {
    const data = event.data as { failTimes?: number; fatal?: boolean; retryAfterMs?: number };
    if (data.fatal) throw new NonRetriableError('cannot ever work');
    const left = failuresLeft.get(event.id) ?? data.failTimes ?? 0;
    if (left > 0) {
      failuresLeft.set(event.id, left - 1);
      if (data.retryAfterMs) throw new RetryAfterError('come back later', data.retryAfterMs);
      throw new Error(`transient failure, ${left} left`);
    }
    applied.flaky!.push(event.id);
  },
};

const ordered: ConsumerDefinition = {
  name: 'ordered', description: 'records order per user', types: ['step.done'], delivery: 'durable', orderBy: 'userId', concurrency: 16,
  async handle(event) {
    const data = event.data as { n: number; slow?: boolean };
    await new Promise((resolve) => setTimeout(resolve, data.slow ? 30 : 1));
    applied.ordered!.push(`${event.userId}:${data.n}`);
  },
};

const picky: ConsumerDefinition = {
  name: 'picky', description: 'only article events', types: ['article.*'], delivery: 'durable',
  async handle(event) { applied.picky!.push(event.id); },
};

/** Holds every event until the test opens the gate: its replays stay open meanwhile. */
let openGate: () => void = () => {};
const gate = new Promise<void>((resolve) => { openGate = resolve; });
const gated: ConsumerDefinition = {
  name: 'gated', description: 'waits for the test', types: ['gate.*'], delivery: 'durable',
  async handle() { await gate; },
};

let t: TestApp;
beforeAll(async () => { t = await startTestApp({}, { consumers: [() => flaky, () => ordered, () => picky, () => gated] }); });
afterAll(async () => { await t.close(); });

const send = async (type: string, data: object, userId?: string) =>
  (await t.call('POST', '/v1/events', { type, data, ...(userId ? { userId } : {}) }, t.ingestKey)).json().id as string;
const deliveryOf = async (id: string, consumer: string) =>
  ((await t.call('GET', `/v1/events/${id}`)).json().deliveries as Array<{ consumer: string; status: string; attempts: number; lastError: string | null }>)
    .find((d) => d.consumer === consumer);

describe('durable consumers', () => {
  it('retries a failing event with backoff until it succeeds', async () => {
    const id = await send('job.run', { failTimes: 2 });
    const delivery = await eventually(async () => { const d = await deliveryOf(id, 'flaky'); return d?.status === 'done' ? d : null; });
    expect(delivery.attempts).toBe(3);
    expect(applied.flaky).toContain(id);
  });

  it('gives up after maxAttempts and marks the delivery dead with its last error', async () => {
    const id = await send('job.run', { failTimes: 10 });
    const delivery = await eventually(async () => { const d = await deliveryOf(id, 'flaky'); return d?.status === 'dead' ? d : null; });
    expect(delivery).toMatchObject({ attempts: 3, lastError: 'transient failure, 8 left' });
    const dead = (await t.call('GET', '/v1/events?status=dead&consumer=flaky')).json().items.map((e: { id: string }) => e.id);
    expect(dead).toContain(id);
  });

  it('sends NonRetriableError straight to dead', async () => {
    const id = await send('job.run', { fatal: true });
    const delivery = await eventually(async () => { const d = await deliveryOf(id, 'flaky'); return d?.status === 'dead' ? d : null; });
    expect(delivery.attempts).toBe(1);
  });

  it('honours RetryAfterError as the next attempt time', async () => {
    const id = await send('job.run', { failTimes: 1, retryAfterMs: 400 });
    const failed = await eventually(async () => { const d = await deliveryOf(id, 'flaky'); return d?.status === 'failed' ? d : null; });
    expect(failed.lastError).toBe('come back later');
    const started = Date.now();
    await eventually(async () => (await deliveryOf(id, 'flaky'))?.status === 'done');
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
  });

  it('retry-dead gives dead deliveries another round', async () => {
    const id = await send('job.run', { failTimes: 3 });
    await eventually(async () => (await deliveryOf(id, 'flaky'))?.status === 'dead');
    const res = await t.call('POST', '/v1/consumers/flaky/retry-dead');
    expect(res.json().count).toBeGreaterThanOrEqual(1);
    await eventually(async () => (await deliveryOf(id, 'flaky'))?.status === 'done');
  });

  it('filters by type: a consumer never sees types it did not ask for', async () => {
    const article = await send('article.created', { articleId: 'x', name: 'x' });
    const other = await send('order.placed', { orderId: 'o' });
    await eventually(async () => applied.picky!.includes(article));
    expect(await deliveryOf(other, 'picky')).toBeUndefined();
    expect(applied.picky).not.toContain(other);
  });

  it('keeps log order per ordering key while running keys in parallel', async () => {
    const events = [];
    for (let n = 0; n < 12; n++) for (const user of ['u1', 'u2', 'u3']) events.push({ type: 'step.done', userId: user, data: { n, slow: n % 3 === 0 } });
    await t.call('POST', '/v1/events/batch', events, t.ingestKey);
    await eventually(async () => applied.ordered!.length === 36);
    for (const user of ['u1', 'u2', 'u3']) {
      const sequence = applied.ordered!.filter((e) => e.startsWith(`${user}:`)).map((e) => Number(e.split(':')[1]));
      expect(sequence).toEqual([...Array(12).keys()]);
    }
  });

  it('replays a selection to one consumer (dry run counts only)', async () => {
    const before = applied.picky!.length;
    const dry = await t.call('POST', '/v1/consumers/picky/replay', { types: ['article.*'], dryRun: true });
    expect(dry.json()).toEqual({ count: 1, dryRun: true });
    expect(applied.picky!.length).toBe(before);
    const res = await t.call('POST', '/v1/consumers/picky/replay', { types: ['article.*'] });
    expect(res.statusCode).toBe(202);
    expect(res.json().count).toBe(1);
    await eventually(async () => applied.picky!.length === before + 1);
  });

  it('lets a tenant run at most 4 replays of one consumer at once (then 429 REPLAY_LIMIT_REACHED)', async () => {
    await send('gate.hold', {});
    for (let i = 0; i < 4; i++) expect((await t.call('POST', '/v1/consumers/gated/replay', { types: ['gate.*'] })).statusCode).toBe(202);
    const refused = await t.call('POST', '/v1/consumers/gated/replay', { types: ['gate.*'] });
    expect(refused.statusCode).toBe(429);
    expect(refused.headers['content-type']).toContain('application/problem+json');
    expect(refused.json().code).toBe('REPLAY_LIMIT_REACHED');
    // Other consumers are not held back by it.
    expect((await t.call('POST', '/v1/consumers/picky/replay', { types: ['article.*'] })).statusCode).toBe(202);
    openGate();
    await eventually(async () => ((await t.call('GET', '/v1/consumers')).json().items as Array<{ name: string; replaying: number }>)
      .find((c) => c.name === 'gated')?.replaying === 0);
    expect((await t.call('POST', '/v1/consumers/gated/replay', { types: ['gate.*'] })).statusCode).toBe(202);
  });

  it('answers 404 for unknown consumers and 400 for inverted ranges', async () => {
    expect((await t.call('POST', '/v1/consumers/nope/replay', {})).json().code).toBe('CONSUMER_UNKNOWN');
    const inverted = await t.call('POST', '/v1/consumers/picky/replay', { from: '2026-01-02T00:00:00Z', to: '2026-01-01T00:00:00Z' });
    expect(inverted.statusCode).toBe(400);
  });
});

describe('backoff', () => {
  it('doubles per attempt with jitter in [d/2, d] and caps at the maximum', () => {
    const policy = { maxAttempts: 10, backoffBaseMs: 100, backoffMaxMs: 1000 };
    expect(backoffDelay(1, policy, () => 0)).toBe(50);
    expect(backoffDelay(1, policy, () => 1)).toBe(100);
    expect(backoffDelay(3, policy, () => 1)).toBe(400);
    expect(backoffDelay(9, policy, () => 1)).toBe(1000);
  });
});
