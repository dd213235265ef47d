/**
 * The analytics sessions store and projection on SQLite and PostgreSQL: sessions written in the
 * batch's transaction (a rolled-back batch leaves none), derived sessions continued across
 * batches, client sessions by id, tenants and persons apart, a tenant's rebuild from the same
 * events ends with the same rows, anonymous ids stitched to users (identify, alias, chains,
 * cycles, never by a member), and a person's erase and export.
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
  const summary = async (tenant: string, user = 'alice') => (await sessions().list(tenant, [user], 0, T0 + 100_000 * MIN, 1000)).reverse()
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
    expect((await sessions().spans(tenant, ['alice'], T0, T0 + 91 * MIN, 10)).map((s) => s.eventCount)).toEqual([3, 1]); // the one starting at 91 is past the end
    expect((await sessions().list(tenant, ['alice'], T0 + MIN, T0 + 1000 * MIN, 2)).map((r) => (r.startedAt - T0) / MIN)).toEqual([91, 90]);
    // Each event's session is recorded; events without a user have none.
    const keysOf = async (tenantId: string) => new Map((await sessions().personEvents(tenantId, ['alice', 'bob'], { limit: 100 })).map((e) => [e.eventId, e.sessionKey]));
    const keys = await keysOf(tenant);
    expect(events.map((e) => keys.get(e.id)?.slice(0, 2) ?? null)).toEqual(['d:', 'd:', 'd:', 'd:', 's:', 's:', 'd:', null]);
    expect(keys.get(events[0]!.id)).toBe(keys.get(events[2]!.id));
    expect(keys.get(events[3]!.id)).not.toBe(keys.get(events[0]!.id));
    const ofSession = (user: string, after?: { time: number; eventId: string }) =>
      sessions().personEvents(tenant, [user], { sessionKey: 's:web-1', limit: 10, ...(after ? { after } : {}) });
    expect((await ofSession('alice')).map((e) => e.eventId)).toEqual([events[4]!.id, events[5]!.id]);
    expect((await ofSession('alice', { time: events[4]!.time, eventId: events[4]!.id })).map((e) => e.eventId)).toEqual([events[5]!.id]);
    expect(await ofSession('bob')).toEqual([]);
    // A person's events in time order with what the analyses read; newest first on request.
    const alices = await sessions().personEvents(tenant, ['alice'], { limit: 10 });
    expect(alices.map((e) => [(e.time - T0) / MIN, e.type, e.category, e.sourceApp])).toEqual([
      [0, 'page.viewed', 'usage', ''], [20, 'search.executed', 'usage', ''], [45, 'article.viewed', 'usage', ''], [90, 'page.viewed', 'usage', ''],
      [91, 'cart.item_added', 'usage', ''], [300, 'order.placed', 'usage', ''],
    ]);
    expect((await sessions().personEvents(tenant, ['alice'], { from: T0 + 45 * MIN, to: T0 + 91 * MIN, newestFirst: true, limit: 10 })).map((e) => (e.time - T0) / MIN)).toEqual([90, 45]);
    expect((await keysOf(await newTenant(store()))).size).toBe(0);

    // A rebuild: the tenant's rows go, the same events in one batch give the same sessions.
    await inTx((tx) => consumer().rebuildTenant!(tenant, tx));
    expect(await summary(tenant)).toEqual([]);
    expect((await keysOf(tenant)).size).toBe(0);
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

  it('stitches anonymous activity to the user an identify names, and a client session across the two counts once', async () => {
    const tenant = await newTenant(store());
    const anon = (minutes: number, type: string, extra: Partial<EventRecord> = {}) => entry(tenant, minutes, { type, userId: null, sessionId: 'tab-1', data: { anonymousId: 'anon-7' }, ...extra });
    await apply([anon(0, 'page.viewed'), anon(5, 'item.viewed')]);
    expect(await sessions().actorsOf(tenant, 'alice')).toEqual(['alice']);
    expect(await summary(tenant, 'anon-7')).toEqual([['s:tab-1', '', 0, 5, 2, 'page.viewed', 'item.viewed', false]]);
    // The identify carries both ids; later events are the user's own.
    await apply([entry(tenant, 6, { type: 'user.identified', sessionId: 'tab-1', data: { anonymousId: 'anon-7' } }), entry(tenant, 8, { type: 'cart.item_added', sessionId: 'tab-1' })]);
    const actors = await sessions().actorsOf(tenant, 'alice');
    expect(actors).toEqual(['alice', 'anon-7']);
    expect((await sessions().list(tenant, actors, 0, T0 + 1000 * MIN, 10)).map((r) => [r.key, (r.startedAt - T0) / MIN, (r.endedAt - T0) / MIN, r.eventCount, r.entryType, r.exitType]))
      .toEqual([['s:tab-1', 0, 8, 4, 'page.viewed', 'cart.item_added']]);
    expect(await sessions().spans(tenant, actors, 0, T0 + 1000 * MIN, 10)).toEqual([{ startedAt: T0, endedAt: T0 + 8 * MIN, eventCount: 4 }]);
    expect((await sessions().personEvents(tenant, actors, { limit: 10 })).map((e) => [e.actor, e.type])).toEqual([
      ['anon-7', 'page.viewed'], ['anon-7', 'item.viewed'], ['alice', 'user.identified'], ['alice', 'cart.item_added'],
    ]);
  });

  it('follows aliases through chains, ignores a link that would close a cycle, and takes no link from a member', async () => {
    const tenant = await newTenant(store());
    const alias = (minutes: number, previousId: string, userId: string, extra: Partial<EventRecord> = {}) =>
      entry(tenant, minutes, { type: 'user.aliased', userId, data: { previousId }, ...extra });
    await apply([
      entry(tenant, 0, { type: 'page.viewed', userId: null, data: { anonymousId: 'a1' } }),
      entry(tenant, 1, { type: 'user.identified', userId: 'temp-9', data: { anonymousId: 'a1' } }), // a1 → temp-9
      alias(2, 'temp-9', 'carol'), // temp-9 → carol, and a1 follows it
      alias(3, 'carol', 'temp-9'), // would make carol → temp-9 → carol: ignored
    ]);
    expect((await sessions().actorsOf(tenant, 'carol')).sort()).toEqual(['a1', 'carol', 'temp-9']);
    expect(await sessions().actorsOf(tenant, 'temp-9')).toEqual(['temp-9']);
    // A link to an id that is already someone's goes to that person.
    await apply([entry(tenant, 4, { type: 'page.viewed', userId: 'temp-9', data: { anonymousId: 'a2' } })]);
    expect((await sessions().actorsOf(tenant, 'carol')).sort()).toEqual(['a1', 'a2', 'carol', 'temp-9']);
    // A member's event naming someone's anonymous id stitches nothing.
    await apply([entry(tenant, 5, { type: 'user.identified', userId: 'mallory', senderRole: 'member', data: { anonymousId: 'a3' } }), alias(6, 'a1', 'mallory', { senderRole: 'member' })]);
    expect(await sessions().actorsOf(tenant, 'mallory')).toEqual(['mallory']);
    // Another tenant's ids are its own.
    expect(await sessions().actorsOf(await newTenant(store()), 'carol')).toEqual(['carol']);
  });

  it('erases and exports one person of one tenant, with the ids stitched to them', async () => {
    const [tenant, other] = [await newTenant(store()), await newTenant(store())];
    await apply([
      entry(tenant, 0, { type: 'a', userId: null, data: { anonymousId: 'anon-1' } }), entry(tenant, 1, { type: 'user.identified', data: { anonymousId: 'anon-1' } }),
      entry(tenant, 1, { type: 'b', userId: 'bob' }), entry(other, 0, { type: 'c' }),
    ]);
    const exported = await sessions().exportPerson(tenant, 'alice');
    expect([exported.sessions.map((r) => r.entryType), exported.stitchedIds, exported.events]).toEqual([['a', 'user.identified'], ['anon-1'], 2]);
    expect(await sessions().erasePerson(tenant, 'alice')).toBe(5); // two sessions, two events, one link
    expect(await sessions().exportPerson(tenant, 'alice')).toEqual({ sessions: [], stitchedIds: [], events: 0 });
    expect(await summary(tenant, 'anon-1')).toEqual([]);
    expect(await summary(tenant, 'bob')).toHaveLength(1);
    expect(await summary(other)).toHaveLength(1);
    expect(await sessions().erasePerson(tenant, 'alice')).toBe(0);
  });
});
