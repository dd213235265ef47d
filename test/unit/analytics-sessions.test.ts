/** Sessions from a person's events (sessionize), stitched sessions, engagement and behaviour figures, computed by hand. */
import { describe, expect, it } from 'vitest';
import { behavior, clockOf } from '../../src/analytics/behavior.js';
import { DAY_MS, engagement, figures } from '../../src/analytics/engagement.js';
import { mergeStitched } from '../../src/analytics/sessions/stitch.js';
import { applyEvent, type PersonSessions, type SessionEvent } from '../../src/analytics/sessions/sessionize.js';

const MIN = 60_000;
const GAP = 30 * MIN;
const T = Date.UTC(2026, 0, 5, 9); // a Monday, 09:00 UTC

function person(): PersonSessions {
  return { byKey: new Map(), latestDerived: new Map(), touched: new Set() };
}

let seq = 0;
const ev = (minutes: number, type: string, fields: Partial<SessionEvent> = {}): SessionEvent => ({
  seq: ++seq, tenantId: 't', userId: 'alice', sessionId: null, sourceApp: null, type, time: T + minutes * MIN, ...fields,
});

const rows = (p: PersonSessions) => [...p.touched].map((r) => [r.key.startsWith('d:') ? 'd' : r.key, r.sourceApp, (r.startedAt - T) / MIN, (r.endedAt - T) / MIN, r.eventCount, r.entryType, r.exitType, r.latest]);

describe('sessionize', () => {
  it('derives sessions by 30 minutes of inactivity per source app, and keeps client sessions by id', () => {
    const p = person();
    for (const e of [
      ev(0, 'page.viewed'), ev(10, 'search.executed'), ev(40, 'article.viewed'), // 40 − 10 = 30: still the first session
      ev(71, 'page.viewed'), // 31 after 40: a new session
      ev(72, 'page.viewed', { sourceApp: 'mobile' }), // another app, another session
      ev(75, 'cart.item_added', { sessionId: 'web-1' }), ev(200, 'order.placed', { sessionId: 'web-1' }), // the client's own session, however long
      ev(60, 'late.event'), // an earlier time, within a gap of the latest web session (71): it joins it and becomes its entry
    ]) applyEvent(p, e, GAP);
    expect(rows(p)).toEqual([
      ['d', '', 0, 40, 3, 'page.viewed', 'article.viewed', false],
      ['d', '', 60, 71, 2, 'late.event', 'page.viewed', true],
      ['d', 'mobile', 72, 72, 1, 'page.viewed', 'page.viewed', true],
      ['s:web-1', '', 75, 200, 2, 'cart.item_added', 'order.placed', false],
    ]);
  });

  it('opens a session of its own for an event more than a gap before the latest one (an out-of-order client time)', () => {
    const p = person();
    applyEvent(p, ev(100, 'a'), GAP);
    applyEvent(p, ev(20, 'b'), GAP);
    expect(rows(p)).toEqual([['d', '', 100, 100, 1, 'a', 'a', false], ['d', '', 20, 20, 1, 'b', 'b', true]]);
  });
});

describe('engagement', () => {
  const day = (d: number, startMin: number, lengthMin: number, events: number) => ({ startedAt: T + d * DAY_MS + startMin * MIN, endedAt: T + d * DAY_MS + (startMin + lengthMin) * MIN, eventCount: events });
  const from = Math.floor(T / DAY_MS) * DAY_MS; // 7 days: Monday to Sunday
  const to = from + 7 * DAY_MS;

  it('counts active days, sessions, events per session, average and median length, and streaks', () => {
    // Mon (two sessions), Tue, Thu, Fri, Sun: streaks 2 (Mon–Tue), 2 (Thu–Fri), current 1 (Sun).
    const spans = [day(0, 0, 10, 4), day(0, 60, 20, 6), day(1, 0, 30, 5), day(3, 0, 5, 1), day(4, 0, 15, 2), day(6, 0, 0, 1)];
    expect(figures(spans, from, to)).toEqual({
      activeDays: 5, sessions: 6, events: 19, eventsPerSession: 3.167,
      averageSessionSeconds: 800, medianSessionSeconds: 750, currentStreakDays: 1, longestStreakDays: 2,
    });
  });

  it('a current streak may end on the day before the period\'s last (today not over yet)', () => {
    const spans = [day(3, 0, 1, 1), day(4, 0, 1, 1), day(5, 0, 1, 1)]; // Thu, Fri, Sat; nothing on Sunday
    expect(figures(spans, from, to)).toMatchObject({ currentStreakDays: 3, longestStreakDays: 3 });
    expect(figures([day(3, 0, 1, 1)], from, to)).toMatchObject({ currentStreakDays: 0, longestStreakDays: 1 });
  });

  it('compares each figure with the period of the same length before it', () => {
    const spans = [day(-7, 0, 10, 2), day(-6, 0, 10, 2), day(0, 0, 30, 6)];
    const result = engagement(spans, from, to);
    expect(result.sessions).toEqual({ value: 1, previous: 2, change: -0.5 });
    expect(result.events).toEqual({ value: 6, previous: 4, change: 0.5 });
    expect(result.averageSessionSeconds).toEqual({ value: 1800, previous: 600, change: 2 });
    expect(engagement([day(0, 0, 1, 1)], from, to).sessions).toEqual({ value: 1, previous: 0, change: null });
    expect(figures([], from, to)).toEqual({ activeDays: 0, sessions: 0, events: 0, eventsPerSession: 0, averageSessionSeconds: 0, medianSessionSeconds: 0, currentStreakDays: 0, longestStreakDays: 0 });
  });
});

describe('behavior', () => {
  const utc = clockOf('UTC');
  it('counts intents as shares of the categorised events, and stitched sessions once', () => {
    const events = [
      { type: 'search.executed', category: 'usage', sourceApp: null, time: T, intent: 'search' },
      { type: 'search.executed', category: 'usage', sourceApp: null, time: T + MIN, intent: 'search' },
      { type: 'order.placed', category: 'commerce', sourceApp: 'web', time: T + 2 * MIN, intent: 'purchase' },
      { type: 'page.viewed', category: 'usage', sourceApp: 'web', time: T + 3 * MIN }, // not categorised yet
    ];
    const result = behavior(events, [{ startedAt: T, endedAt: T + 3 * MIN, eventCount: 4 }], utc);
    expect(result.intents).toEqual([{ key: 'search', count: 2, share: 0.6667 }, { key: 'purchase', count: 1, share: 0.3333 }]);
    expect(result.types[0]).toEqual({ key: 'search.executed', count: 2, share: 0.5 });
    expect(result.categories).toEqual([{ key: 'usage', count: 3, share: 0.75 }, { key: 'commerce', count: 1, share: 0.25 }]);
    expect(result.hourOfDay[9]).toBe(4);
    expect(result.dayOfWeek[0]).toBe(4); // a Monday
    expect(result).toMatchObject({ events: 4, sessions: 1, typicalSessionSeconds: 180 });
    expect(behavior(events.slice(3), [], utc).intents).toEqual([]);
  });
});

describe('mergeStitched', () => {
  const row = (userId: string, key: string, start: number, end: number, count: number, entry: string, exit: string) => ({
    tenantId: 't', userId, key, sourceApp: '', derived: key.startsWith('d:'), latest: false, startedAt: T + start * MIN, endedAt: T + end * MIN, eventCount: count, entryType: entry, exitType: exit,
  });
  it('joins one client session kept under two ids and leaves derived sessions apart', () => {
    const merged = mergeStitched([
      row('alice', 's:tab', 10, 20, 2, 'login', 'buy'), row('anon', 's:tab', 0, 9, 3, 'land', 'signup'),
      row('alice', 'd:5', 30, 31, 1, 'a', 'a'), row('anon', 'd:5', 40, 41, 1, 'b', 'b'),
    ]);
    expect(merged.map((r) => [r.userId, r.key, (r.startedAt - T) / MIN, (r.endedAt - T) / MIN, r.eventCount, r.entryType, r.exitType])).toEqual([
      ['alice', 's:tab', 0, 20, 5, 'land', 'buy'], ['alice', 'd:5', 30, 31, 1, 'a', 'a'], ['anon', 'd:5', 40, 41, 1, 'b', 'b'],
    ]);
  });
});
