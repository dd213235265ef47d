/**
 * The insights source on SQLite and PostgreSQL over the `analytics_events` rows and person links:
 * people stitched through the links, rows of each type in time order within [from, to), sessions
 * per actor and key, the row cap (earliest kept, `truncated`), breakdown properties read as
 * text from the event's data, the overview's aggregates, and another tenant's rows never read.
 */
import type { Kysely } from 'kysely';
import { expect, it } from 'vitest';
import { Interner, type EventColumns } from '../../src/analytics/insights/columns.js';
import { funnelPersons, funnelSteps } from '../../src/analytics/insights/funnels.js';
import { sqlInsightsSource } from '../../src/analytics/insights/insights.sql.js';
import { overview } from '../../src/analytics/insights/overview.js';
import { describeOnEachDialect } from './feature-stores.js';
import { T0, makeEvent, newTenant } from './store.fixtures.js';

const MIN = 60_000;
const DAY = 86_400_000;

interface Fixture { actor: string; minutes: number; type: string; session?: string; data?: Record<string, unknown> }

describeOnEachDialect('analytics insights source', ({ store }, dialect) => {
  const db = () => store().db as Kysely<any>;
  const source = () => sqlInsightsSource(db(), dialect);
  let seq = 0;

  /** Appends the events to the log (for their data) and writes their analytics rows as the projection would. */
  async function seed(tenantId: string, rows: Fixture[], links: Array<[string, string]> = []): Promise<void> {
    const events = rows.map((r) => makeEvent(tenantId, T0 + r.minutes * MIN + 5, { type: r.type, userId: r.actor, time: T0 + r.minutes * MIN, data: r.data ?? {} }));
    await store().events.append(events, 0);
    await db().insertInto('analytics_events').values(rows.map((r, i) => ({
      tenant_id: tenantId, event_id: events[i]!.id, seq: ++seq, time: T0 + r.minutes * MIN, type: r.type,
      category: 'usage', source_app: '', actor: r.actor, session_key: r.session ?? 'd:1',
    }))).execute();
    if (links.length > 0) {
      await db().insertInto('analytics_person_links').values(links.map(([id, person]) => ({ tenant_id: tenantId, id, person, linked_at: T0 }))).execute();
    }
  }

  const read = (tenantId: string, types: string[] | null, extra: { from?: number; to?: number; until?: Record<string, number>; limit?: number; breakdown?: string } = {}) => {
    const interned = { persons: new Interner(), types: new Interner(), sessions: new Interner() };
    return source().events({ tenantId, types, from: extra.from ?? T0, to: extra.to ?? T0 + DAY, limit: extra.limit ?? 1000, interned, ...(extra.breakdown ? { breakdown: extra.breakdown } : {}), ...(extra.until ? { until: extra.until } : {}) })
      .then((columns) => ({ columns, interned }));
  };
  const rowsOf = ({ columns, interned }: { columns: EventColumns; interned: { persons: Interner; types: Interner; sessions: Interner } }) =>
    Array.from({ length: columns.length }, (_, i) => [interned.persons.names[columns.person[i]!], (columns.time[i]! - T0) / MIN, interned.types.names[columns.type[i]!]]);

  it('reads each type in time order with people stitched, within [from, to), one tenant only', async () => {
    const tenant = await newTenant(store());
    const other = await newTenant(store());
    await seed(tenant, [
      { actor: 'anon-1', minutes: 5, type: 'b' }, { actor: 'alice', minutes: 1, type: 'a' }, { actor: 'anon-1', minutes: 2, type: 'a' },
      { actor: 'bob', minutes: 3, type: 'c' }, { actor: 'bob', minutes: 24 * 60, type: 'a' }, // at `to`: outside
    ], [['anon-1', 'alice']]);
    await seed(other, [{ actor: 'alice', minutes: 1, type: 'a' }]);
    expect(rowsOf(await read(tenant, ['b', 'a']))).toEqual([['alice', 1, 'a'], ['alice', 2, 'a'], ['alice', 5, 'b']]);
    expect(rowsOf(await read(tenant, ['b', 'a'], { until: { a: T0 + 2 * MIN } }))).toEqual([['alice', 1, 'a'], ['alice', 5, 'b']]); // a's rows end earlier
    // Every type: the tenant's types are enumerated, each read in time order.
    expect(rowsOf(await read(tenant, null, { from: T0 + 2 * MIN }))).toEqual([['alice', 2, 'a'], ['alice', 5, 'b'], ['bob', 3, 'c']]);
    expect(rowsOf(await read(other, null))).toEqual([['alice', 1, 'a']]);
    // Who did a before minute 3, one row per actor: anon-1 and alice are one person.
    const persons = new Interner();
    const before = await source().peopleBefore({ tenantId: tenant, type: 'a', before: T0 + 3 * MIN, limit: 10, persons });
    expect([Array.from(before.persons, (p) => persons.names[p]), before.truncated]).toEqual([['alice', 'alice'], false]);
    expect((await source().peopleBefore({ tenantId: tenant, type: 'a', before: T0 + 3 * MIN, limit: 1, persons })).truncated).toBe(true);
    expect((await read(await newTenant(store()), null)).columns.length).toBe(0);
  });

  it('stops at the row cap with the earliest rows and says so; sessions are per actor and key', async () => {
    const tenant = await newTenant(store());
    await seed(tenant, [
      { actor: 'u1', minutes: 1, type: 'a', session: 'd:7' }, { actor: 'u2', minutes: 2, type: 'a', session: 'd:7' },
      { actor: 'u1', minutes: 3, type: 'b', session: 'd:7' }, { actor: 'u1', minutes: 4, type: 'b', session: 's:web' },
    ]);
    const capped = await read(tenant, ['a', 'b'], { limit: 3 });
    expect([rowsOf(capped), capped.columns.truncated]).toEqual([[['u1', 1, 'a'], ['u2', 2, 'a'], ['u1', 3, 'b']], true]);
    const all = await read(tenant, null, { limit: 4 });
    expect(all.columns.truncated).toBe(false);
    expect(Array.from(all.columns.session)).toEqual([0, 1, 0, 2]); // u1's d:7 twice, u2's d:7 apart, u1's s:web
    expect((await read(tenant, null, { limit: 2 })).columns.truncated).toBe(true);
  });

  it('reads a breakdown property of the event data as text, nested paths too', async () => {
    const tenant = await newTenant(store());
    await seed(tenant, [
      { actor: 'u1', minutes: 1, type: 'a', data: { plan: 'pro', seats: 12, trial: true, context: { app: { name: 'web' } } } },
      { actor: 'u2', minutes: 2, type: 'a', data: { plan: null } },
      { actor: 'u3', minutes: 3, type: 'a', data: {} },
    ]);
    const values = async (path: string) => (await read(tenant, ['a'], { breakdown: path })).columns.value;
    expect(await values('plan')).toEqual(['pro', null, null]);
    expect(await values('seats')).toEqual(['12', null, null]);
    expect(await values('trial')).toEqual(['true', null, null]);
    expect(await values('context.app.name')).toEqual(['web', null, null]);
  });

  it('gives a funnel of stitched people the same on both engines', async () => {
    const tenant = await newTenant(store());
    // anon-9 viewed, then (as alice after the identify) signed up and paid: one person through all three steps.
    await seed(tenant, [
      { actor: 'anon-9', minutes: 1, type: 'page.viewed' }, { actor: 'alice', minutes: 3, type: 'signup.done' }, { actor: 'alice', minutes: 9, type: 'order.placed' },
      { actor: 'bob', minutes: 2, type: 'page.viewed' }, { actor: 'bob', minutes: 4, type: 'signup.done' },
    ], [['anon-9', 'alice']]);
    const steps = ['page.viewed', 'signup.done', 'order.placed'];
    const { columns, interned } = await read(tenant, steps);
    const people = funnelPersons(columns, interned.persons.size, { steps: steps.map((s) => interned.types.id(s)), order: 'ordered', windowMs: 60 * MIN, from: T0, to: T0 + DAY });
    // page.viewed: alice, bob; signup.done: both (120 s each); order.placed: alice (360 s).
    expect(funnelSteps(people, steps, 'ordered').map((s) => [s.people, s.averageSecondsToConvert])).toEqual([[2, null], [2, 120], [1, 360]]);
  });

  it('sums events, stitched people and sessions per UTC day and over the range, and ranks the types', async () => {
    const tenant = await newTenant(store());
    await seed(tenant, [
      { actor: 'anon-1', minutes: 10, type: 'page.viewed', session: 'd:1' }, { actor: 'alice', minutes: 20, type: 'page.viewed', session: 'd:2' },
      { actor: 'bob', minutes: 30, type: 'search.done', session: 'd:1' }, { actor: 'bob', minutes: 24 * 60 + 5, type: 'page.viewed', session: 'd:1' },
    ], [['anon-1', 'alice']]);
    const interned = { persons: new Interner(), sessions: new Interner() };
    const rows = await source().sessionDays({ tenantId: tenant, from: T0, to: T0 + 2 * DAY, limit: 100, interned });
    const o = overview(rows, interned.persons.size, interned.sessions.size, T0, 2, await source().topTypes(tenant, T0, T0 + 2 * DAY, 10));
    // Day 1: 3 events; people alice (anon-1 stitched) and bob; sessions anon-1's d:1, alice's d:2, bob's d:1.
    // Day 2: bob's d:1 again. Over both days: 4 events, 2 people, 3 sessions.
    expect(o.days).toEqual([{ day: '2025-01-01', events: 3, people: 2, sessions: 3 }, { day: '2025-01-02', events: 1, people: 1, sessions: 1 }]);
    expect(o.totals).toEqual({ events: 4, people: 2, sessions: 3 });
    expect(o.topTypes).toEqual([{ type: 'page.viewed', events: 3 }, { type: 'search.done', events: 1 }]);
    expect(await source().topTypes(tenant, T0, T0 + 2 * DAY, 1)).toHaveLength(1);
    // Past the limit the earliest days' rows are kept (day 1 has three sessions).
    const capped = await source().sessionDays({ tenantId: tenant, from: T0, to: T0 + 2 * DAY, limit: 3, interned: { persons: new Interner(), sessions: new Interner() } });
    expect([capped.length, capped.truncated, Array.from(capped.day)]).toEqual([3, true, [T0, T0, T0]]);
    expect((await source().sessionDays({ tenantId: await newTenant(store()), from: T0, to: T0 + 2 * DAY, limit: 3, interned })).length).toBe(0);
  });
});
