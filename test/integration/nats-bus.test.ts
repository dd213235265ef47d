/**
 * NATS-only behaviour of the JetStream publisher (the port's behaviour is in
 * test/contract/publisher.contract.ts): the stream it creates, an existing stream left as its
 * operator configured it, the ordering-key header, and a stream lost with its server's storage
 * created again on reconnect.
 */
import { jetstreamManager, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import { connect, nanos } from '@nats-io/transport-node';
import { afterAll, describe, expect, it } from 'vitest';
import { createNatsPublisher, ORDERING_KEY_HEADER, type NatsBusConfig } from '../../src/adapters/bus/nats/nats.publisher.js';
import { newId } from '../../src/platform/ids.js';
import type { EventPublisher, PublishedEvent } from '../../src/ports/bus.port.js';
import { eventually } from '../helpers/app.js';
import { canSpawnNatsServer, deleteStream, readStream, spawnNatsServer, testNatsConfig } from '../helpers/nats.js';
import { natsUrl, uniqueSuffix } from '../helpers/services.js';

const cleanups: Array<() => Promise<void>> = [];

async function newPublisher(overrides: Partial<NatsBusConfig> = {}) {
  const config = { ...testNatsConfig(uniqueSuffix()), ...overrides };
  const publisher = createNatsPublisher(config);
  cleanups.push(() => publisher.close(), () => deleteStream(config.stream, config.url));
  await publisher.init();
  return { publisher, config };
}

async function withManager<T>(url: string, use: (jsm: Awaited<ReturnType<typeof jetstreamManager>>) => Promise<T>): Promise<T> {
  const nc = await connect({ servers: url });
  try {
    return await use(await jetstreamManager(nc));
  } finally {
    await nc.close();
  }
}

const event = (fields: Partial<PublishedEvent> = {}): PublishedEvent => {
  const eventId = newId();
  return { eventId, tenantId: 'tenant-1', type: 'page.viewed', orderingKey: null, payload: JSON.stringify({ id: eventId }), ...fields };
};

async function publishUntilAccepted(publisher: EventPublisher, events: PublishedEvent[]): Promise<void> {
  await eventually(() => publisher.publish(events).then(() => true, () => false), 20_000, 100);
}

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

describe('NATS JetStream publisher', () => {
  it('creates its stream on the prefix\'s event subjects, file-backed, with the configured age and duplicate window', async () => {
    const { config } = await newPublisher({ maxAgeMs: 3_600_000, duplicateWindowMs: 30_000 });
    const info = await withManager(natsUrl(), (jsm) => jsm.streams.info(config.stream));
    expect(info.config.subjects).toContain(`${config.subjectPrefix}.evt.>`);
    expect(info.config).toMatchObject({ storage: StorageType.File, retention: RetentionPolicy.Limits, max_age: nanos(3_600_000), duplicate_window: nanos(30_000) });
  });

  it('leaves an existing stream as configured and publishes into it', async () => {
    const config = testNatsConfig(uniqueSuffix());
    cleanups.push(() => deleteStream(config.stream));
    await withManager(natsUrl(), (jsm) => jsm.streams.add({
      name: config.stream, subjects: [`${config.subjectPrefix}.evt.>`], storage: StorageType.Memory, max_age: nanos(60_000), duplicate_window: nanos(10_000),
    }));
    const publisher = createNatsPublisher(config);
    cleanups.push(() => publisher.close());
    await publisher.init();
    const sent = event();
    await publisher.publish([sent]);
    const info = await withManager(natsUrl(), (jsm) => jsm.streams.info(config.stream));
    expect(info.config).toMatchObject({ storage: StorageType.Memory, max_age: nanos(60_000), duplicate_window: nanos(10_000) });
    expect((await readStream(config.stream)).map((m) => m.msgId)).toEqual([sent.eventId]);
  });

  it('carries the ordering key in a header (and none without one)', async () => {
    const { publisher, config } = await newPublisher();
    const keyed = event({ orderingKey: 'user 7' });
    const unkeyed = event();
    await publisher.publish([keyed, unkeyed]);
    const messages = await readStream(config.stream);
    expect(messages.find((m) => m.msgId === keyed.eventId)?.headers[ORDERING_KEY_HEADER]).toBe('user 7');
    expect(messages.find((m) => m.msgId === unkeyed.eventId)?.headers[ORDERING_KEY_HEADER]).toBeUndefined();
  });

  it('fails with BUS_UNAVAILABLE while its stream is gone', async () => {
    const { publisher, config } = await newPublisher({ publishTimeoutMs: 500 });
    await deleteStream(config.stream);
    await expect(publisher.publish([event()])).rejects.toMatchObject({ code: 'BUS_UNAVAILABLE' });
  });

  it.runIf(canSpawnNatsServer)('creates its stream again when it reconnects to a server that lost it', { timeout: 60_000 }, async () => {
    const server = await spawnNatsServer();
    cleanups.push(() => server.dispose());
    const { publisher, config } = await newPublisher({ url: server.url, publishTimeoutMs: 500 });
    await publisher.publish([event()]);
    // The stream is gone (its storage lost, or deleted by hand) and the connection drops.
    await deleteStream(config.stream, server.url);
    await server.stop();
    await eventually(async () => !(await publisher.ready()).ok, 10_000, 50);
    await server.start();
    await eventually(async () => (await publisher.ready()).ok, 20_000, 100);
    const after = event();
    await publishUntilAccepted(publisher, [after]);
    expect((await readStream(config.stream, { url: server.url })).map((m) => m.msgId)).toEqual([after.eventId]);
  });
});
