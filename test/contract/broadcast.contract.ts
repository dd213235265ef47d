/** The Broadcast contract: realtime fan-out between processes (NATS core subjects, Redis pub/sub). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/platform/ids.js';
import type { Broadcast } from '../../src/ports/bus.port.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(condition: () => boolean, timeoutMs = 8_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

export interface BroadcastHarness {
  /** Two broadcasts on one backend, as two API processes would hold them. */
  processes: [Broadcast, Broadcast];
  teardown(): Promise<void>;
}

type Seen = Array<[string, string]>;

export function describeBroadcastContract(name: string, factory: () => Promise<BroadcastHarness>): void {
  describe(`Broadcast contract: ${name}`, () => {
    let harness: BroadcastHarness;
    beforeAll(async () => { harness = await factory(); });
    afterAll(async () => { await harness?.teardown(); });

    it('fans every payload out to every subscribed process, the publisher included, in order', async () => {
      const [a, b] = harness.processes;
      const seenA: Seen = [];
      const seenB: Seen = [];
      const offA = await a.subscribe((tenantId, payload) => seenA.push([tenantId, payload]));
      const offB = await b.subscribe((tenantId, payload) => seenB.push([tenantId, payload]));
      const tenant = newId();
      const payloads = Array.from({ length: 20 }, (_, i) => JSON.stringify({ i, text: 'Grüße ✓' }));
      for (const payload of payloads) await a.publish(tenant, payload);
      await b.publish('other-tenant', 'x');
      await waitFor(() => seenA.length >= 21 && seenB.length >= 21, 5_000, 'broadcasts');
      const mine = (seen: Seen) => seen.filter(([t]) => t === tenant).map(([, p]) => p);
      expect(mine(seenA)).toEqual(payloads);
      expect(mine(seenB)).toEqual(payloads);
      expect(seenB.filter(([t]) => t === 'other-tenant')).toEqual([['other-tenant', 'x']]);
      await offA();
      await offB();
    });

    it('stops calling a listener once unsubscribed', async () => {
      const [a, b] = harness.processes;
      const kept: Seen = [];
      const dropped: Seen = [];
      const offKept = await b.subscribe((t, p) => kept.push([t, p]));
      const offDropped = await b.subscribe((t, p) => dropped.push([t, p]));
      await a.publish('t1', 'before');
      await waitFor(() => kept.length === 1 && dropped.length === 1, 5_000, 'first payload');
      await offDropped();
      await a.publish('t1', 'after');
      await waitFor(() => kept.length === 2, 5_000, 'second payload');
      await sleep(100);
      expect(dropped).toEqual([['t1', 'before']]);
      await offKept();
    });
  });
}
