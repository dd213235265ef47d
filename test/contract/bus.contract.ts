/**
 * The Bus contract: the in-process bus and NATS JetStream must behave alike for consumers.
 * A driver hands messages to the bus the way the relay does and wraps handlers the way the
 * consumer dispatcher does (a store-driven bus records outcomes in the Store).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/platform/ids.js';
import type { Bus, BusSubscription, DeliveryOutcome, MessageHandler, SubscriptionSpec } from '../../src/ports/bus.port.js';
import type { BusMessage } from '../../src/ports/events.types.js';

export interface BusDriver {
  /** Two buses on one backend, as two processes would hold them; initialised. */
  buses: [Bus, Bus];
  tenantId: string;
  /** Hands messages over as the relay does. */
  publish(messages: BusMessage[]): Promise<void>;
  /** Wraps a handler as the consumer dispatcher does. */
  wrap(spec: SubscriptionSpec, handler: MessageHandler): MessageHandler;
  teardown(): Promise<void>;
}

interface Received { message: BusMessage; attempt: number; at: number; bus: number }

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function waitFor(condition: () => boolean, timeoutMs = 8_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

const DONE: DeliveryOutcome = { kind: 'done' };

export function describeBusContract(name: string, factory: () => Promise<BusDriver>): void {
  describe(`Bus contract: ${name}`, () => {
    let driver: BusDriver;
    const active: BusSubscription[] = [];
    const spec = (fields: Partial<SubscriptionSpec> = {}): SubscriptionSpec => ({
      consumer: `c-${randomBytes(4).toString('hex')}`, types: ['*'], concurrency: 4, ordered: false, maxAttempts: 5, ...fields,
    });
    const message = (type: string, fields: Partial<BusMessage> = {}): BusMessage => ({
      eventId: newId(), tenantId: driver.tenantId, type, orderingKey: null, ...fields,
    });
    /** Subscribes on bus `index`, recording what the handler saw. */
    const subscribe = async (s: SubscriptionSpec, log: Received[], outcome: (r: Received) => Promise<DeliveryOutcome> | DeliveryOutcome = () => DONE, index = 0) => {
      const sub = await driver.buses[index]!.subscribe(s, driver.wrap(s, async (m, attempt) => {
        const received = { message: m, attempt, at: Date.now(), bus: index };
        log.push(received);
        return outcome(received);
      }));
      active.push(sub);
      return sub;
    };
    const ids = (log: Received[]) => log.map((r) => r.message.eventId).sort();

    beforeAll(async () => { driver = await factory(); });
    afterEach(async () => { await Promise.all(active.splice(0).map((s) => s.stop(1_000))); });
    afterAll(async () => { await driver?.teardown(); });

    it('delivers each message to the subscriptions whose types match, and to no other', async () => {
      const [articles, orders, all] = [[], [], []] as Received[][];
      await subscribe(spec({ types: ['article.*'] }), articles!);
      await subscribe(spec({ types: ['order.placed', 'stock.*'] }), orders!);
      await subscribe(spec({ types: ['*'] }), all!);
      const sent = ['article.created', 'article.stock.low', 'articles.imported', 'article', 'order.placed', 'order.cancelled', 'stock.low_detected']
        .map((type) => message(type, { orderingKey: 'u1' }));
      await driver.publish(sent);
      await waitFor(() => articles!.length >= 2 && orders!.length >= 2 && all!.length >= 7, 8_000, 'deliveries');
      await sleep(300);
      const byType = (log: Received[]) => log.map((r) => r.message.type).sort();
      expect(byType(articles!)).toEqual(['article.created', 'article.stock.low']);
      expect(byType(orders!)).toEqual(['order.placed', 'stock.low_detected']);
      expect(ids(all!)).toEqual(sent.map((m) => m.eventId).sort());
      const first = all!.find((r) => r.message.eventId === sent[0]!.eventId)!;
      expect(first.message).toMatchObject({ eventId: sent[0]!.eventId, tenantId: driver.tenantId, type: 'article.created', orderingKey: 'u1' });
      expect(first.attempt).toBe(1);
    });

    it('delivers a targeted (replay) message to its consumer only, whatever its type', async () => {
      const [target, other] = [[], []] as Received[][];
      const targetSpec = spec({ types: ['article.*'] });
      await subscribe(targetSpec, target!);
      await subscribe(spec({ types: ['order.*'] }), other!);
      const sent = [message('order.placed', { target: targetSpec.consumer }), message('page.viewed', { target: targetSpec.consumer })];
      await driver.publish(sent);
      await waitFor(() => target!.length >= 2, 8_000, 'replayed messages');
      await sleep(300);
      expect(ids(target!)).toEqual(sent.map((m) => m.eventId).sort());
      expect(other).toEqual([]);
    });

    it('redelivers a retried message with attempt + 1 after the delay', async () => {
      const log: Received[] = [];
      await subscribe(spec(), log, (r) => (r.attempt === 1 ? { kind: 'retry', delayMs: 300 } : DONE));
      await driver.publish([message('order.placed')]);
      await waitFor(() => log.length >= 2, 8_000, 'redelivery');
      await sleep(200);
      expect(log.map((r) => r.attempt)).toEqual([1, 2]);
      expect(log[1]!.at - log[0]!.at).toBeGreaterThanOrEqual(250);
    });

    it('gives a message up after maxAttempts, and at once when the handler says dead', async () => {
      const retried: Received[] = [];
      const dead: Received[] = [];
      await subscribe(spec({ maxAttempts: 3, types: ['retry.me'] }), retried, () => ({ kind: 'retry', delayMs: 50 }));
      await subscribe(spec({ types: ['kill.me'] }), dead, () => ({ kind: 'dead' }));
      await driver.publish([message('retry.me'), message('kill.me')]);
      await waitFor(() => retried.length >= 3 && dead.length >= 1, 8_000, 'attempts');
      await sleep(600);
      expect(retried.map((r) => r.attempt)).toEqual([1, 2, 3]);
      expect(dead.map((r) => r.attempt)).toEqual([1]);
    });

    it('shares the work of one consumer name between subscriptions: each message is handled once', async () => {
      const log: Received[] = [];
      const shared = spec({ concurrency: 2 });
      await subscribe(shared, log, async () => { await sleep(20); return DONE; }, 0);
      await subscribe(shared, log, async () => { await sleep(20); return DONE; }, 1);
      const sent = Array.from({ length: 30 }, () => message('page.viewed'));
      await driver.publish(sent);
      await waitFor(() => log.length >= 30, 10_000, '30 messages');
      await sleep(300);
      expect(ids(log)).toEqual(sent.map((m) => m.eventId).sort());
      expect(log.some((r) => r.bus === 0) && log.some((r) => r.bus === 1)).toBe(true);
    });

    it('serialises messages of one ordering key when ordered, in publish order', async () => {
      const log: Received[] = [];
      const running = new Map<string, number>();
      let overlap = false;
      await subscribe(spec({ ordered: true, concurrency: 4 }), log, async (r) => {
        const key = r.message.orderingKey!;
        running.set(key, (running.get(key) ?? 0) + 1);
        if (running.get(key)! > 1) overlap = true;
        await sleep(Math.floor(Math.random() * 15));
        running.set(key, running.get(key)! - 1);
        return DONE;
      });
      const sent = Array.from({ length: 16 }, (_, i) => message('page.viewed', { orderingKey: i % 2 === 0 ? 'u1' : 'u2' }));
      await driver.publish(sent);
      await waitFor(() => log.length >= 16, 10_000, '16 messages');
      for (const key of ['u1', 'u2']) {
        expect(log.filter((r) => r.message.orderingKey === key).map((r) => r.message.eventId))
          .toEqual(sent.filter((m) => m.orderingKey === key).map((m) => m.eventId));
      }
      expect(overlap).toBe(false);
    });

    it('stop(grace) waits for in-flight handlers, whose outcome still counts', async () => {
      const log: Received[] = [];
      let finished = false;
      const s = spec();
      const sub = await subscribe(s, log, async () => { await sleep(400); finished = true; return DONE; });
      await driver.publish([message('page.viewed')]);
      await waitFor(() => log.length === 1, 8_000, 'handler start');
      await sub.stop(5_000);
      expect(finished).toBe(true);
      const again: Received[] = [];
      await subscribe(s, again, () => DONE, 1);
      await sleep(500);
      expect(again).toEqual([]);
    });

    it('stop hands unfinished messages back after the grace period', async () => {
      const s = spec();
      const slow: Received[] = [];
      const sub = await subscribe(s, slow, async () => { await sleep(1_500); return DONE; });
      await driver.publish([message('page.viewed')]);
      await waitFor(() => slow.length === 1, 8_000, 'handler start');
      const stopping = Date.now();
      await sub.stop(50);
      expect(Date.now() - stopping).toBeLessThan(1_000);
      const again: Received[] = [];
      await subscribe(s, again, () => DONE, 1);
      await waitFor(() => again.length === 1, 8_000, 'handed back message');
      // Whether a hand-back counts as an attempt is the backend's choice (JetStream does not count
      // an immediate nak of the last delivered message); the message must come back either way.
      expect(again[0]!.message.eventId).toBe(slow[0]!.message.eventId);
    });

    it('a restarted subscriber receives what was published while it was away', async () => {
      const s = spec({ types: ['order.*'] });
      const before: Received[] = [];
      const sub = await subscribe(s, before);
      const first = message('order.placed');
      await driver.publish([first]);
      await waitFor(() => before.length === 1, 8_000, 'first message');
      await sub.stop(1_000);
      const missed = [message('order.placed'), message('order.cancelled')];
      await driver.publish(missed);
      await sleep(200);
      const after: Received[] = [];
      await subscribe(s, after, () => DONE, 1);
      await waitFor(() => after.length >= 2, 8_000, 'missed messages');
      await sleep(300);
      expect(ids(after)).toEqual(missed.map((m) => m.eventId).sort());
      expect(before.map((r) => r.message.eventId)).toEqual([first.eventId]);
    });
  });
}
