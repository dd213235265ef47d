/**
 * The EventPublisher contract: what the `nats-publisher` consumer relies on from the outside
 * stream. Every published event reaches the stream on its tenant's and type's address, with the
 * event id as message id and the event JSON as payload; a re-publication of an id (after a crash
 * or a retry) is dropped; `ready()` says when the stream cannot take messages, and `publish`
 * then throws BUS_UNAVAILABLE (the consumer records a failure and retries).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/platform/errors.js';
import { newId } from '../../src/platform/ids.js';
import type { EventPublisher, PublishedEvent } from '../../src/ports/bus.port.js';

/** A message as a subscriber of the stream receives it. */
export interface Received {
  address: string;
  messageId: string | undefined;
  payload: string;
}

export interface PublisherDriver {
  /** Initialised, on a stream of this run only. */
  publisher: EventPublisher;
  /** Where a subscriber finds the events of this tenant and type (NATS: the subject). */
  address(tenantId: string, type: string): string;
  /** Everything the stream holds now, read through a consumer created on it. */
  received(): Promise<Received[]>;
  /** A publisher (not initialised) whose backend nobody listens on. */
  unreachable(): EventPublisher;
  /** Takes the backend down and brings it back, when the driver can (a private server). */
  outage?: { stop(): Promise<void>; start(): Promise<void> };
  teardown(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until<T>(check: () => Promise<T | false>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

function published(tenantId: string, type: string, orderingKey: string | null = null): PublishedEvent {
  const eventId = newId();
  return { eventId, tenantId, type, orderingKey, payload: JSON.stringify({ id: eventId, type, tenantId, data: { note: 'ünïcode ✓' } }) };
}

export function describePublisherContract(name: string, factory: () => Promise<PublisherDriver>): void {
  describe(`EventPublisher contract: ${name}`, () => {
    let driver: PublisherDriver;
    const tenant = `tenant-${newId().slice(-6).toLowerCase()}`;
    /** What the stream holds of the given events (each may appear more than once). */
    const of = async (events: PublishedEvent[]) => {
      const ids = new Set(events.map((e) => e.eventId));
      return (await driver.received()).filter((r) => r.messageId !== undefined && ids.has(r.messageId));
    };
    const settled = async (events: PublishedEvent[]) => until(async () => {
      const got = await of(events);
      return new Set(got.map((r) => r.messageId)).size === events.length && got;
    }, 10_000, `${events.length} messages on the stream`);

    beforeAll(async () => { driver = await factory(); });
    afterAll(async () => { await driver?.teardown(); });

    it('is ready once initialised, and an empty publish is a no-op', async () => {
      expect(await driver.publisher.ready()).toMatchObject({ ok: true });
      await expect(driver.publisher.publish([])).resolves.toBeUndefined();
    });

    it('puts each event on its tenant and type address, with the event id as message id and the payload as given', async () => {
      const events = [
        published(tenant, 'article.created', 'u1'), published(tenant, 'article.stock.low'), published(tenant, 'Order Completed', 'u 2'),
        published(`${tenant}-other`, 'article.created'), published(tenant, 'page.viewed', 'u1'),
      ];
      await driver.publisher.publish(events.slice(0, 2));
      await driver.publisher.publish(events.slice(2));
      const got = await settled(events);
      expect(got).toHaveLength(events.length);
      for (const event of events) {
        const message = got.find((r) => r.messageId === event.eventId)!;
        expect(message.address, event.type).toBe(driver.address(event.tenantId, event.type));
        expect(message.payload).toBe(event.payload);
        expect(JSON.parse(message.payload)).toMatchObject({ id: event.eventId, type: event.type, tenantId: event.tenantId });
      }
      // Addresses keep tenants and types apart.
      expect(new Set(got.map((r) => r.address)).size).toBe(events.length);
    });

    it('drops a re-publication of an event id within the duplicate window, alone or within a batch', async () => {
      const first = published(tenant, 'order.placed', 'u1');
      const second = published(tenant, 'order.placed', 'u1');
      await driver.publisher.publish([first]);
      await driver.publisher.publish([first]);
      // A retried batch: the one already stored is dropped, the new one goes in.
      await driver.publisher.publish([first, second]);
      // Same id, other payload (a re-publication after the event was re-read): still the first one.
      await driver.publisher.publish([{ ...first, payload: JSON.stringify({ id: first.eventId, again: true }) }]);
      await settled([first, second]);
      await sleep(200);
      const got = await of([first, second]);
      expect(got.map((r) => r.messageId).sort()).toEqual([first.eventId, second.eventId].sort());
      expect(got.find((r) => r.messageId === first.eventId)!.payload).toBe(first.payload);
    });

    it('keeps many events of one publish, each once', async () => {
      const events = Array.from({ length: 300 }, (_, n) => published(tenant, 'bulk.item', `u${n % 7}`));
      await driver.publisher.publish(events);
      const got = await settled(events);
      expect(got).toHaveLength(events.length);
    });

    it('is not ready and throws BUS_UNAVAILABLE before init, when its backend is unreachable, and after close', async () => {
      const stray = driver.unreachable();
      expect((await stray.ready()).ok).toBe(false);
      await expect(stray.publish([published(tenant, 'never.sent')])).rejects.toMatchObject({ code: 'BUS_UNAVAILABLE' });
      const failed = await stray.init().then(() => null, (error: unknown) => error);
      expect(failed).toBeInstanceOf(AppError);
      expect(failed).toMatchObject({ code: 'BUS_UNAVAILABLE' });
      expect((await stray.ready()).ok).toBe(false);
      await stray.close();

      await driver.publisher.close();
      expect((await driver.publisher.ready()).ok).toBe(false);
      const lost = published(tenant, 'after.close');
      await expect(driver.publisher.publish([lost])).rejects.toMatchObject({ code: 'BUS_UNAVAILABLE' });
      await driver.publisher.close(); // twice is fine
      // A closed publisher can be initialised again (a process restarting its adapters).
      await driver.publisher.init();
      expect((await driver.publisher.ready()).ok).toBe(true);
      expect(await of([lost])).toEqual([]);
    });

    it('while its backend is down: not ready and publish throws BUS_UNAVAILABLE; back up: ready, and what failed goes out', { timeout: 45_000 }, async (context) => {
      const outage = driver.outage;
      if (!outage) { context.skip(); return; }
      const before = published(tenant, 'outage.before');
      await driver.publisher.publish([before]);
      const during = published(tenant, 'outage.during');
      try {
        await outage.stop();
        await until(async () => !(await driver.publisher.ready()).ok || false, 10_000, 'not ready');
        const error = await driver.publisher.publish([during]).then(() => null, (e: unknown) => e);
        expect(error).toMatchObject({ code: 'BUS_UNAVAILABLE' });
      } finally {
        await outage.start();
      }
      await until(async () => (await driver.publisher.ready()).ok || false, 20_000, 'ready again');
      const after = published(tenant, 'outage.after');
      // The first publish after a reconnect may still race the stream's recovery: the consumer retries too.
      await until(async () => driver.publisher.publish([after, during]).then(() => true, () => false), 20_000, 'publish after the outage');
      const got = await settled([before, during, after]);
      expect(got).toHaveLength(3);
    });
  });
}
