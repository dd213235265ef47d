/**
 * The analytics sessions store and projection on SQLite and PostgreSQL: sessions written in the
 * batch's transaction (a rolled-back batch leaves none), derived sessions continued across
 * batches, client sessions by id, tenants and persons apart, a tenant's rebuild from the same
 * events ends with the same rows, and a person's erase and export.
 */
import { expect, it } from 'vitest';
import { sessionsConsumer } from '../../src/analytics/sessions/sessions.consumer.js';
import { sqlSessionsStore } from '../../src/analytics/sessions/sessions.sql.js';
import { createLogger } from '../../src/platform/logger.js';
import type { EventRecord, LogEntry } from '../../src/ports/events.types.js';
import { describeOnEachDialect } from './feature-stores.js';
import { T0, makeEvent, newTenant } from './store.fixtures.js';

const MIN = 60_000;
let seq = 0;
const entry = (tenantId: string, minutes: number, fields: Partial<EventRecord> = {}): LogEntry =>
  ({ ...makeEvent(tenantId, T0 + minutes * MIN + (seq % 1000), { userId: 'alice', ...fields }), time: T0 + minutes * MIN, seq: ++seq });
const context = { attempt: 1, logger: createLogger('silent', 'test'), signal: new AbortController().signal };

describeOnEachDialect('analytics sessions store', ({ store, inTx }) => {
  const sessions = () => sqlSessionsStore(store().db);
  const consumer = () => sessionsConsumer(sessions(), 30 * MIN);
  const apply = (events: LogEntry[]) => inTx((tx) => consumer().handleBatch!(events, tx, context));
  const summary = async (tenant: string, user = 'alice') => (await sessions().ofUser(tenant, user))
    .map((r) => [r.key.startsWith('d:') ? 'd' : r.key, r.sourceApp, (r.startedAt - T0) / MIN, (r.endedAt - T0) / MIN, r.eventCount, r.entryType, r.exitType, r.latest]);

  it('continues a derived session across batches, starts another after the gap, and keeps client sessions by id', async () => {
    const tenant = await newTenant(store());
    const events = [
      entry(tenant, 0, { type: 'page.viewed' }), entry(tenant, 20, { type: 'search.executed' }),
      entry(tenant, 45, { type: 'article.viewed' }), entry(tenant, 90, { type: 'page.viewed' }),
      entry(tenant, 91, { type: 'cart.item_added', sessionId: 'web-1' }), entry(tenant, 300, { type: 'order.placed', sessionId: 'web-1' }),
      entry(tenant, 5, { type: 'page.viewed', userId: 'bob', sourceApp: 'mobile' }), entry(tenant, 7, { type: 'page.viewed', userId: null }),
    ];
    await apply(events.slice(0, 2));
    await apply(events.slice(2));
    expect(await summary(tenant)).toEqual([
      ['d', '', 0, 45, 3, 'page.viewed', 'article.viewed', false],
      ['d', '', 90, 90, 1, 'page.viewed', 'page.viewed', true],
      ['s:web-1', '', 91, 300, 2, 'cart.item_added', 'order.placed', false],
    ]);
    expect(await summary(tenant, 'bob')).toEqual([['d', 'mobile', 5, 5, 1, 'page.viewed', 'page.viewed', true]]);
    expect(await summary(await newTenant(store()))).toEqual([]);
    expect((await sessions().spans(tenant, 'alice', T0, T0 + 91 * MIN, 10)).map((s) => s.eventCount)).toEqual([3, 1]); // the one starting at 91 is past the end
    expect((await sessions().list(tenant, 'alice', T0 + MIN, T0 + 1000 * MIN, 2)).map((r) => (r.startedAt - T0) / MIN)).toEqual([91, 90]);
    // Each event's session is recorded; events without a user have none.
    const keys = await sessions().sessionKeys(tenant, events.map((e) => e.id));
    expect(events.map((e) => keys.get(e.id)?.slice(0, 2) ?? null)).toEqual(['d:', 'd:', 'd:', 'd:', 's:', 's:', 'd:', null]);
    expect(keys.get(events[0]!.id)).toBe(keys.get(events[2]!.id));
    expect(keys.get(events[3]!.id)).not.toBe(keys.get(events[0]!.id));
    expect(await sessions().eventsOfSession(tenant, 'alice', 's:web-1', '', 10)).toEqual([events[4]!.id, events[5]!.id].sort());
    expect(await sessions().eventsOfSession(tenant, 'alice', 's:web-1', [events[4]!.id, events[5]!.id].sort()[0]!, 10)).toHaveLength(1);
    expect(await sessions().eventsOfSession(tenant, 'bob', 's:web-1', '', 10)).toEqual([]);
    expect((await sessions().sessionKeys(await newTenant(store()), events.map((e) => e.id))).size).toBe(0);

    // A rebuild: the tenant's rows go, the same events in one batch give the same sessions.
    await inTx((tx) => consumer().rebuildTenant!(tenant, tx));
    expect(await summary(tenant)).toEqual([]);
    expect((await sessions().sessionKeys(tenant, events.map((e) => e.id))).size).toBe(0);
    expect(await summary(tenant, 'bob')).toEqual([]);
    await apply(events);
    expect(await summary(tenant)).toHaveLength(3);
    expect(await summary(tenant)).toEqual([
      ['d', '', 0, 45, 3, 'page.viewed', 'article.viewed', false],
      ['d', '', 90, 90, 1, 'page.viewed', 'page.viewed', true],
      ['s:web-1', '', 91, 300, 2, 'cart.item_added', 'order.placed', false],
    ]);
  });

  it('writes nothing when the batch\'s transaction rolls back', async () => {
    const tenant = await newTenant(store());
    await expect(inTx(async (tx) => {
      await consumer().handleBatch!([entry(tenant, 0, { type: 'a' })], tx, context);
      throw new Error('the position could not move');
    })).rejects.toThrow('the position could not move');
    expect(await summary(tenant)).toEqual([]);
  });

  it('holds many persons of one batch apart (more than one statement\'s worth)', async () => {
    const tenant = await newTenant(store());
    await apply(Array.from({ length: 450 }, (_, i) => entry(tenant, i % 3, { type: 'page.viewed', userId: `u${i % 300}` })));
    expect(await summary(tenant, 'u0')).toEqual([['d', '', 0, 0, 2, 'page.viewed', 'page.viewed', true]]);
    expect(await summary(tenant, 'u299')).toEqual([['d', '', 2, 2, 1, 'page.viewed', 'page.viewed', true]]);
  });

  it('erases and exports one person of one tenant', async () => {
    const [tenant, other] = [await newTenant(store()), await newTenant(store())];
    await apply([entry(tenant, 0, { type: 'a' }), entry(tenant, 1, { type: 'b', userId: 'bob' }), entry(other, 0, { type: 'c' })]);
    expect((await sessions().ofUser(tenant, 'alice')).map((r) => r.entryType)).toEqual(['a']);
    expect(await sessions().eraseUser(tenant, 'alice')).toBe(1);
    expect(await sessions().ofUser(tenant, 'alice')).toEqual([]);
    expect(await sessions().eventsOfSession(tenant, 'alice', (await sessions().ofUser(tenant, 'bob'))[0]!.key, '', 10)).toEqual([]);
    expect(await summary(tenant, 'bob')).toHaveLength(1);
    expect(await summary(other)).toHaveLength(1);
    expect(await sessions().eraseUser(tenant, 'alice')).toBe(0);
  });
});
