/**
 * The tenant insights' computations on small fixtures whose answers are worked out by hand in the
 * comments: funnels in the three orders (and a breakdown), retention cohorts (first time and
 * recurring, weeks starting Monday), paths with step-indexed nodes, trends per interval.
 */
import { describe, expect, it } from 'vitest';
import { ColumnsBuilder, Interner, groupBy, median } from '../../src/analytics/insights/columns.js';
import { funnelBreakdown, funnelPersons, funnelSteps, type FunnelOrder } from '../../src/analytics/insights/funnels.js';
import { overview } from '../../src/analytics/insights/overview.js';
import { paths } from '../../src/analytics/insights/paths.js';
import { addPeriods, periodIndex, periodStart, periodsBetween, retention } from '../../src/analytics/insights/retention.js';
import { intervalStart, intervalsBetween, trends } from '../../src/analytics/insights/trends.js';

const MIN = 60_000;
const DAY = 86_400_000;
const T = Date.UTC(2026, 0, 5); // Monday 2026-01-05 00:00 UTC

type Row = [person: string, minutes: number, type: string, extra?: { session?: string; value?: string | null }];

/** Columns of rows given in order (their position is their log position). */
function columnsOf(rows: Row[], interned = { persons: new Interner(), types: new Interner(), sessions: new Interner() }, withValues = false) {
  const b = new ColumnsBuilder(withValues);
  rows.forEach(([person, minutes, type, extra], i) => {
    b.push(interned.persons.id(person), T + minutes * MIN, i + 1, interned.types.id(type), extra?.session === undefined ? -1 : interned.sessions.id(extra.session), extra?.value ?? null);
  });
  return { columns: b.finish(false), interned };
}

// The funnel fixture: steps a → b → c, window 60 minutes, first step in [T, T + 1000 min].
const FUNNEL: Row[] = [
  ['alice', 0, 'a', { value: 'pro' }], ['alice', 5, 'x'], ['alice', 10, 'b'], ['alice', 30, 'c'], // all three; an x between a and b
  ['bob', 0, 'a', { value: 'free' }], ['bob', 5, 'c'], ['bob', 20, 'b'], // c before b
  ['carol', 0, 'a', { value: 'pro' }], ['carol', 50, 'b'], ['carol', 70, 'c'], // c 70 minutes after a: past the window
  ['dave', 0, 'a', { value: 'free' }], ['dave', 100, 'a', { value: 'pro' }], ['dave', 110, 'b'], ['dave', 120, 'c'], // the second attempt goes further
  ['erin', 0, 'b'], ['erin', 1, 'c'], // no a
  ['frank', -10, 'a'], ['frank', 5, 'b'], ['frank', 6, 'c'], // a before `from`
  ['gina', 5, 'a'], ['gina', 5, 'b'], ['gina', 5, 'c'], // all at one time, in log order a, b, c
];

function funnel(order: FunnelOrder, rows: Row[] = FUNNEL, steps = ['a', 'b', 'c']) {
  const { columns, interned } = columnsOf(rows, undefined, true);
  const people = funnelPersons(columns, interned.persons.size, { steps: steps.map((s) => interned.types.id(s)), order, windowMs: 60 * MIN, from: T, to: T + 1000 * MIN });
  return { people, columns, steps: funnelSteps(people, steps, order) };
}

const figures = (steps: ReturnType<typeof funnelSteps>) => steps.map((s) => [s.people, s.conversionFromFirst, s.conversionFromPrevious, s.averageSecondsToConvert, s.medianSecondsToConvert]);

describe('funnels', () => {
  it('ordered: other events may come between; the attempt that goes furthest counts', () => {
    // a: alice, bob, carol, dave, gina (erin has none, frank's is before from) = 5.
    // b: alice 600 s, bob 1200 s, carol 3000 s, dave 600 s (second attempt), gina 0 s = 5; mean 5400 / 5 = 1080, median 600.
    // c: alice 1200 s, dave 600 s, gina 0 s = 3 (bob's c was before b, carol's past the window); mean 600, median 600.
    expect(figures(funnel('ordered').steps)).toEqual([
      [5, 1, 1, null, null],
      [5, 1, 1, 1080, 600],
      [3, 0.6, 0.6, 600, 600],
    ]);
  });

  it('strict: no event of any type between the steps (ties in time go by log position)', () => {
    // a: the same 5. b right after a: carol (3000 s), dave's second attempt (600 s), gina (0 s) — alice has x between,
    // bob has c between. Mean 1200, median 600. c right after b: dave 600 s, gina 0 s: mean 300, median 300 (of two: their mean).
    expect(figures(funnel('strict').steps)).toEqual([
      [5, 1, 1, null, null],
      [3, 0.6, 0.6, 1200, 600],
      [2, 0.4, 0.6667, 300, 300],
    ]);
  });

  it('unordered: any k of the types within the window from the first of them', () => {
    // 1 of 3: everyone with a step event in range: alice, bob, carol, dave, erin (b), frank (b at 5), gina = 7.
    // 2 of 3: all 7 — waits to the 2nd event: alice 600, bob 300 (c at 5), carol 3000, dave 600, erin 60, frank 60, gina 0:
    //         mean 4620 / 7 = 660, median 300.
    // 3 of 3: alice 1200, bob 900 (b at 20 after c at 5), dave 600, gina 0 = 4: mean 675, median (600 + 900) / 2 = 750.
    const { steps } = funnel('unordered');
    expect(figures(steps)).toEqual([
      [7, 1, 1, null, null],
      [7, 1, 1, 660, 300],
      [4, 0.5714, 0.5714, 675, 750],
    ]);
    expect(steps.map((s) => [s.type, s.label])).toEqual([[null, 'any 1 of 3'], [null, 'any 2 of 3'], [null, 'any 3 of 3']]);
  });

  it('a type listed twice needs two events, the later one not before the earlier', () => {
    const rows: Row[] = [
      ['hank', 0, 'a'], ['hank', 10, 'a'], ['hank', 20, 'b'], // a, a, b: all three
      ['ivy', 0, 'a'], ['ivy', 5, 'b'], // one a: stops at step 1
      ['jo', 0, 'a'], ['jo', 5, 'b'], ['jo', 6, 'a'], // the second a after b: stops at step 2 … of a, a, b
    ];
    expect(funnel('ordered', rows, ['a', 'a', 'b']).steps.map((s) => s.people)).toEqual([3, 2, 1]);
    // a, b, a: jo's a at 6 follows b; hank's a at 10 comes before b at 20, and no a follows → 2.
    expect(funnel('ordered', rows, ['a', 'b', 'a']).steps.map((s) => s.people)).toEqual([3, 3, 1]);
  });

  it('breaks down by the property of each person\'s counted first-step event, top values then the rest', () => {
    // Ordered: pro = alice, carol, dave (his counted attempt starts at the a of 100, which says pro) → 3, 3, 2;
    // free = bob → 1, 1, 0; no value = gina → 1, 1, 1. With the top 2: pro, then free (ties: a value before none), other = gina.
    const { people, columns } = funnel('ordered');
    const b = funnelBreakdown(people, columns, ['a', 'b', 'c'], 'ordered', 2);
    expect(b.values.map((v) => [v.value, v.steps.map((s) => s.people)])).toEqual([['pro', [3, 3, 2]], ['free', [1, 1, 0]]]);
    expect(b.other).toMatchObject({ values: 1 });
    expect(b.other!.steps.map((s) => s.people)).toEqual([1, 1, 1]);
    expect(funnelBreakdown(people, columns, ['a', 'b', 'c'], 'ordered', 10).other).toBeNull();
  });

  it('counts nobody when nobody did the first step', () => {
    const { steps } = funnel('ordered', [['zed', 0, 'b']]);
    expect(figures(steps)).toEqual([[0, null, null, null, null], [0, null, null, null, null], [0, null, null, null, null]]);
  });
});

describe('retention', () => {
  const W = 7 * 24 * 60; // minutes per week
  const D = 24 * 60;
  // Weeks W0 = Mon 2026-01-05, W1, W2. Opens: p1 in W0, W1, W2; p2 first a week before W0, then W1; p3 in W1 and
  // W2's Sunday; p4 in W2; p5 in W0 only.
  const OPENS: Row[] = [
    ['p2', -W, 'open'], ['p1', D, 'open'], ['p5', 2 * D, 'open'], ['p2', W + D, 'open'], ['p1', W + 2 * D, 'open'],
    ['p3', W + 3 * D, 'open'], ['p1', 2 * W, 'open'], ['p4', 2 * W + D, 'open'], ['p3', 2 * W + 6 * D + 23 * 60, 'open'],
  ];
  const q = { period: 'week' as const, intervals: 3, from: T, to: T + 3 * 7 * DAY };

  it('first time: cohorts by the week of the first open ever; values[0] is the size', () => {
    const { columns, interned } = columnsOf(OPENS);
    // W0: p1, p5 (p2's first open is before the range): size 2; back in W1: p1; in W2: p1 → [2, 1, 1].
    // W1: p3 → back in W2 (its Sunday) → [1, 1]. W2: p4 → [1] (no later week before `to`).
    expect(retention(columns, columns, interned.persons.size, { ...q, type: 'first_time' })).toEqual([
      { cohort: '2026-01-05T00:00:00.000Z', size: 2, values: [2, 1, 1] },
      { cohort: '2026-01-12T00:00:00.000Z', size: 1, values: [1, 1] },
      { cohort: '2026-01-19T00:00:00.000Z', size: 1, values: [1] },
    ]);
  });

  it('recurring: a person is in every week they opened; a separate returning event', () => {
    const { columns, interned } = columnsOf(OPENS);
    // W0: p1, p5 → [2, 1 (p1 in W1), 1 (p1 in W2)]. W1: p1, p2, p3 → [3, 2 (p1, p3 in W2)]. W2: p1, p3, p4 → [3].
    expect(retention(columns, columns, interned.persons.size, { ...q, type: 'recurring' }).map((c) => c.values)).toEqual([[2, 1, 1], [3, 2], [3]]);
    // Returning = order: p5 ordered in W1, p1 in W2 → first-time W0 cohort (p1, p5): [2, 1, 1]; W1 (p3): [1, 0].
    const orders = columnsOf([['p5', W, 'order'], ['p1', 2 * W + D, 'order']], interned).columns;
    expect(retention(columns, orders, interned.persons.size, { ...q, type: 'first_time' }).map((c) => c.values)).toEqual([[2, 1, 1], [1, 0], [1]]);
    // People known to have opened before the range (read apart, one row each) are in no cohort: p3 and p4 leave.
    const earlier = ['p3', 'p4'].map((p) => interned.persons.find(p));
    expect(retention(columns, columns, interned.persons.size, { ...q, type: 'first_time' }, earlier).map((c) => c.size)).toEqual([2, 0, 0]);
  });

  it('places periods in UTC: weeks from Monday, calendar months', () => {
    expect(periodStart(Date.UTC(2026, 0, 11, 23, 59), 'week')).toBe(T); // Sunday → its Monday
    expect(periodStart(Date.UTC(2026, 0, 12), 'week')).toBe(Date.UTC(2026, 0, 12));
    expect(periodStart(Date.UTC(2026, 1, 28, 12), 'month')).toBe(Date.UTC(2026, 1, 1));
    expect(periodIndex(Date.UTC(2026, 2, 15), Date.UTC(2026, 0, 1), 'month')).toBe(2);
    expect(addPeriods(Date.UTC(2026, 10, 1), 3, 'month')).toBe(Date.UTC(2027, 1, 1));
    expect(periodsBetween(T + DAY, T + 14 * DAY + 1, 'week')).toBe(3); // Tue W0 … Mon W2 (one ms into it)
    expect(periodsBetween(Date.UTC(2026, 0, 31), Date.UTC(2026, 2, 1), 'month')).toBe(2);
  });
});

describe('paths', () => {
  const SESSIONS: Row[] = [
    ['u1', 0, 'a', { session: 's1' }], ['u1', 1, 'b', { session: 's1' }], ['u1', 3, 'c', { session: 's1' }],
    ['u2', 0, 'a', { session: 's2' }], ['u2', 2, 'b', { session: 's2' }], ['u2', 3, 'd', { session: 's2' }],
    ['u1', 10, 'b', { session: 's3' }], ['u1', 11, 'a', { session: 's3' }], ['u1', 15, 'b', { session: 's3' }],
    ['u3', 0, 'x', { session: 's4' }],
  ];
  const run = (from: string | null, to: string | null, steps = 3, edges = 50) => {
    const { columns, interned } = columnsOf(SESSIONS);
    const id = (t: string | null) => (t === null ? null : interned.types.find(t));
    return paths(columns, interned.sessions.size, interned.types.names, { from: id(from), to: id(to), steps, edges });
  };
  const flat = (r: ReturnType<typeof run>) => r.edges.map((e) => `${e.source}>${e.target}:${e.value}:${e.averageTimeS}`);

  it('from each session\'s first event, at most `steps` events', () => {
    // s1: 1_a>2_b (60 s), 2_b>3_c (120 s); s2: 1_a>2_b (120 s), 2_b>3_d (60 s); s3: 1_b>2_a (60 s), 2_a>3_b (240 s);
    // s4 has one event: a path without edges. 1_a>2_b: 2 sessions, mean 90 s; the rest by name.
    const r = run(null, null);
    expect(flat(r)).toEqual(['1_a>2_b:2:90', '1_b>2_a:1:60', '2_a>3_b:1:240', '2_b>3_c:1:120', '2_b>3_d:1:60']);
    expect(r.paths).toBe(4);
    expect(flat(run(null, null, 3, 1))).toEqual(['1_a>2_b:2:90']);
  });

  it('from a start type, to an end type, and between both', () => {
    // from a: s3 starts at its a (minute 11) → 1_a>2_b takes 240 s there: (60 + 120 + 240) / 3 = 140.
    expect(flat(run('a', null))).toEqual(['1_a>2_b:3:140', '2_b>3_c:1:120', '2_b>3_d:1:60']);
    // to b alone: the steps ending at the first b: s1 a>b, s2 a>b, s3 is b itself (a path of one event).
    expect(run(null, 'b')).toEqual({ edges: [{ source: '1_a', target: '2_b', value: 2, averageTimeS: 90 }], paths: 3 });
    // a to d: only s2, three events; with steps = 2 it is too long.
    expect(flat(run('a', 'd'))).toEqual(['1_a>2_b:1:120', '2_b>3_d:1:60']);
    expect(run('a', 'd', 2)).toEqual({ edges: [], paths: 0 });
    expect(run('nope', null)).toEqual({ edges: [], paths: 0 });
  });
});

describe('trends', () => {
  const H = 60;
  it('counts events and distinct people per day and over the range', () => {
    // Range: T … T + 3 days. a: p1 at 10:00 and 11:00, p2 at 12:00 on day 0 → 3 events, 2 people; p1 on day 1; p2 at
    // 23:59 on day 2; the a at T + 3 days (= to) and the one an hour before T are outside. Total: 5 events, 2 people.
    const rows: Row[] = [
      ['p1', -H, 'a'], ['p1', 10 * H, 'a'], ['p1', 11 * H, 'a'], ['p2', 12 * H, 'a'], ['p3', 30 * H, 'b'],
      ['p1', 33 * H, 'a'], ['p2', 72 * H - 1, 'a'], ['p2', 72 * H, 'a'],
    ];
    const { columns, interned } = columnsOf(rows);
    const series = trends(columns, interned.persons.size, ['a', 'b'].map((t) => interned.types.find(t)), ['a', 'b'], T, T + 3 * DAY, 'day');
    expect(series.map((s) => [s.type, s.total, s.data.map((d) => [d.count, d.people])])).toEqual([
      ['a', { count: 5, people: 2 }, [[3, 2], [1, 1], [1, 1]]],
      ['b', { count: 1, people: 1 }, [[0, 0], [1, 1], [0, 0]]],
    ]);
    expect(series[0]!.data.map((d) => d.start)).toEqual(['2026-01-05T00:00:00.000Z', '2026-01-06T00:00:00.000Z', '2026-01-07T00:00:00.000Z']);
  });

  it('aligns intervals to UTC hours, days and Monday weeks', () => {
    const wed = T + 2 * DAY + 5 * 3_600_000 + 7;
    expect(intervalStart(wed, 'hour')).toBe(T + 2 * DAY + 5 * 3_600_000);
    expect(intervalStart(wed, 'week')).toBe(T);
    expect(intervalsBetween(wed, wed + 7 * DAY, 'week')).toBe(2);
    expect(intervalsBetween(T, T + DAY, 'hour')).toBe(24);
  });
});

describe('helpers', () => {
  it('groups rows by a key in time order, ties by log position', () => {
    const { columns, interned } = columnsOf([['b', 5, 't'], ['a', 9, 't'], ['b', 1, 't'], ['a', 9, 'u'], ['a', 2, 't']]);
    const g = groupBy(columns, columns.person, interned.persons.size);
    expect(Array.from(g.order)).toEqual([2, 0, 4, 1, 3]); // b: 1, 5; a: 2, 9 (t, logged first), 9 (u)
    expect(Array.from(g.start)).toEqual([0, 2, 5]);
    expect([median([]), median([3, 1, 2]), median([4, 1, 3, 2])]).toEqual([null, 2, 2.5]);
  });

  it('sums the overview per day from session-day rows, days without events as zeros', () => {
    // Rows (day, person, session, events), one per type, not in day order: day 2: p1's s2 (1); day 1: p0's s0 (2),
    // p0's s1 (1), p1's s2 (4) and again p1's s2 (3, another type).
    // Day 1: 10 events, 2 people, 3 sessions; day 2: 1, 1, 1; over the range: 11 events, 2 people, 3 sessions (s2 once).
    const rows = {
      length: 5, day: Float64Array.from([T + 2 * DAY, T + DAY, T + DAY, T + DAY, T + DAY]), person: Int32Array.from([1, 0, 0, 1, 1]),
      session: Int32Array.from([2, 0, 1, 2, 2]), events: Float64Array.from([1, 2, 1, 4, 3]), truncated: false,
    };
    const o = overview(rows, 2, 3, T, 3, [{ type: 'a', events: 8 }]);
    expect(o.days).toEqual([
      { day: '2026-01-05', events: 0, people: 0, sessions: 0 },
      { day: '2026-01-06', events: 10, people: 2, sessions: 3 },
      { day: '2026-01-07', events: 1, people: 1, sessions: 1 },
    ]);
    expect(o.totals).toEqual({ events: 11, people: 2, sessions: 3 });
    expect([o.from, o.to, o.truncated]).toEqual(['2026-01-05T00:00:00.000Z', '2026-01-08T00:00:00.000Z', false]);
  });
});
