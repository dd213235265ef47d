/**
 * The stats feature's store and projection on SQLite and PostgreSQL: counts per tenant, type
 * and hour written in the batch's transaction (a rolled-back batch counts nothing), totals per
 * window, concurrent batches keep every count, and a tenant's rebuild clears only that tenant.
 */
import { expect, it } from 'vitest';
import { createLogger } from '../../src/platform/logger.js';
import type { LogEntry } from '../../src/ports/events.types.js';
import { statsConsumer } from '../../src/stats/stats.consumer.js';
import { sqlStatsStore } from '../../src/stats/stats.sql.js';
import { describeOnEachDialect } from './feature-stores.js';
import { HOUR, T0, makeEvent, newTenant } from './store.fixtures.js';

let seq = 0;
const entry = (tenantId: string, type: string, time: number): LogEntry => ({ ...makeEvent(tenantId, time, { type }), time, seq: ++seq });
const context = { attempt: 1, logger: createLogger('silent', 'test'), signal: new AbortController().signal };

describeOnEachDialect('stats store', ({ store, inTx }) => {
  const stats = () => sqlStatsStore(store().db);

  it('counts each event of a batch once per tenant, type and hour, and totals a window', async () => {
    const tenant = await newTenant(store());
    const other = await newTenant(store());
    const consumer = statsConsumer(stats());
    await inTx((tx) => consumer.handleBatch!([
      entry(tenant, 'page.viewed', T0 + 10), entry(tenant, 'page.viewed', T0 + 20), entry(tenant, 'order.placed', T0 + HOUR + 5),
      entry(other, 'page.viewed', T0 + 30),
    ], tx, context));
    await inTx((tx) => consumer.handleBatch!([entry(tenant, 'page.viewed', T0 + 2 * HOUR), entry(tenant, 'page.viewed', T0 + 40)], tx, context));
    expect(await stats().totals(tenant, T0, T0 + 2 * HOUR)).toEqual([
      { type: 'page.viewed', hour: T0, count: 3 },
      { type: 'order.placed', hour: T0 + HOUR, count: 1 },
    ]);
    expect(await stats().totals(tenant, T0 + HOUR + 30, T0 + 3 * HOUR)).toEqual([
      { type: 'order.placed', hour: T0 + HOUR, count: 1 },
      { type: 'page.viewed', hour: T0 + 2 * HOUR, count: 1 },
    ]);
    expect(await stats().totals(other, T0, T0 + 3 * HOUR)).toEqual([{ type: 'page.viewed', hour: T0, count: 1 }]);
    expect(await stats().totals(await newTenant(store()), T0, T0 + 3 * HOUR)).toEqual([]);
  });

  it('counts nothing of a batch whose transaction rolls back (the position would not move either)', async () => {
    const tenant = await newTenant(store());
    await expect(inTx(async (tx) => {
      await stats().countBatch(tx, [entry(tenant, 'x.y', T0)]);
      throw new Error('the position write failed');
    })).rejects.toThrow('the position write failed');
    expect(await stats().totals(tenant, T0, T0 + HOUR)).toEqual([]);
    await inTx((tx) => stats().countBatch(tx, []));
    expect(await stats().totals(tenant, T0, T0 + HOUR)).toEqual([]);
  });

  it('keeps every count when batches of several partitions or workers commit at once', async () => {
    const tenant = await newTenant(store());
    const batches = Array.from({ length: 8 }, (_, b) => Array.from({ length: 50 }, (_, i) => entry(tenant, i % 2 ? 'a.b' : 'c.d', T0 + b * 100 + i)));
    await Promise.all(batches.map((batch) => inTx((tx) => stats().countBatch(tx, batch))));
    expect(await stats().totals(tenant, T0, T0 + HOUR)).toEqual([
      { type: 'a.b', hour: T0, count: 200 },
      { type: 'c.d', hour: T0, count: 200 },
    ]);
  });

  it('clears one tenant for a rebuild, in the rebuild\'s transaction', async () => {
    const tenant = await newTenant(store());
    const other = await newTenant(store());
    await inTx((tx) => stats().countBatch(tx, [entry(tenant, 'x.y', T0), entry(other, 'x.y', T0)]));
    await inTx((tx) => statsConsumer(stats()).rebuildTenant!(tenant, tx));
    expect(await stats().totals(tenant, T0, T0 + HOUR)).toEqual([]);
    expect(await stats().totals(other, T0, T0 + HOUR)).toEqual([{ type: 'x.y', hour: T0, count: 1 }]);
  });
});
