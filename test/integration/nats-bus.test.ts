/** NATS-only behaviour of the JetStream bus: de-duplication, start position, heartbeats, outages. */
import { afterAll, describe, expect, it } from 'vitest';
import { createNatsBus, type NatsBusConfig } from '../../src/adapters/bus/nats/nats.bus.js';
import { newId } from '../../src/platform/ids.js';
import type { Bus, BusSubscription, SubscriptionSpec } from '../../src/ports/bus.port.js';
import type { BusMessage } from '../../src/ports/events.types.js';
import { sleep, waitFor } from '../contract/bus.contract.js';
import { canSpawnNatsServer, deleteStream, spawnNatsServer, testNatsConfig } from '../helpers/nats.js';
import { uniqueSuffix } from '../helpers/services.js';

const streams: string[] = [];
const cleanups: Array<() => Promise<void>> = [];

async function newBus(overrides: Partial<NatsBusConfig> = {}): Promise<Bus> {
  const config = { ...testNatsConfig(uniqueSuffix()), ...overrides };
  if (config.url === testNatsConfig('x').url) streams.push(config.stream);
  const bus = createNatsBus(config);
  await bus.init();
  cleanups.push(() => bus.close());
  return bus;
}

const spec = (fields: Partial<SubscriptionSpec> = {}): SubscriptionSpec => ({
  consumer: `c-${uniqueSuffix()}`, types: ['*'], concurrency: 2, ordered: false, maxAttempts: 5, ...fields,
});
const message = (fields: Partial<BusMessage> = {}): BusMessage => ({ eventId: newId(), tenantId: 'tenant-1', type: 'page.viewed', ...fields });

async function collect(bus: Bus, s: SubscriptionSpec, log: Array<{ id: string; attempt: number }>, handleMs = 0): Promise<BusSubscription> {
  const sub = await bus.subscribe(s, async (m, attempt) => {
    log.push({ id: m.eventId, attempt });
    if (handleMs > 0) await sleep(handleMs);
    return { kind: 'done' };
  });
  cleanups.push(() => sub.stop(500));
  return sub;
}

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  for (const stream of streams) await deleteStream(stream).catch(() => undefined);
});

describe('NATS bus', () => {
  it('drops a republished event (same message id) but not a replay of it', async () => {
    const bus = await newBus();
    const s = spec();
    const log: Array<{ id: string; attempt: number }> = [];
    await collect(bus, s, log);
    const m = message();
    await bus.publish([m]);
    await bus.publish([m]);
    await bus.publish([{ ...m, target: s.consumer }]);
    await waitFor(() => log.length >= 2, 5_000, 'original and replay');
    await sleep(300);
    expect(log.map((r) => r.id)).toEqual([m.eventId, m.eventId]);
  });

  it('with deliverPolicy all, a new consumer receives what the stream already holds', async () => {
    const bus = await newBus({ deliverPolicy: 'all' });
    const early = message();
    await bus.publish([early]);
    const log: Array<{ id: string; attempt: number }> = [];
    await collect(bus, spec(), log);
    await waitFor(() => log.length === 1, 5_000, 'earlier message');
    expect(log[0]?.id).toBe(early.eventId);
  });

  it('keeps a long handler\'s message with heartbeats beyond ack_wait', async () => {
    const bus = await newBus({ ackWaitMs: 600 });
    const log: Array<{ id: string; attempt: number }> = [];
    await collect(bus, spec({ concurrency: 2 }), log, 1_800);
    await bus.publish([message()]);
    await waitFor(() => log.length === 1, 5_000, 'delivery');
    await sleep(2_200);
    expect(log.map((r) => r.attempt)).toEqual([1]);
  });

  it.runIf(canSpawnNatsServer)('fails publish fast with BUS_UNAVAILABLE while nats-server is down, and recovers when it is back', async () => {
    const server = await spawnNatsServer();
    cleanups.push(() => server.dispose());
    const bus = await newBus({ url: server.url, publishTimeoutMs: 500 });
    const log: Array<{ id: string; attempt: number }> = [];
    await collect(bus, spec(), log);
    const before = message();
    await bus.publish([before]);
    await waitFor(() => log.length === 1, 5_000, 'delivery before the outage');
    try {
      await server.stop();
      const started = Date.now();
      await expect(bus.publish([message()])).rejects.toMatchObject({ code: 'BUS_UNAVAILABLE' });
      expect(Date.now() - started).toBeLessThan(2_000);
      expect((await bus.ready()).ok).toBe(false);
    } finally {
      await server.start();
    }
    const deadline = Date.now() + 15_000;
    while (!(await bus.ready()).ok && Date.now() < deadline) await sleep(100);
    expect((await bus.ready()).ok).toBe(true);
    const after = message();
    await bus.publish([after]);
    await waitFor(() => log.some((r) => r.id === after.eventId), 20_000, 'delivery after restart');
  });
});
