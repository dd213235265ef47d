/**
 * What a person does (pure): their events' types, categories and source apps with counts and
 * shares, activity by hour of day and day of week in a time zone, and their typical (median)
 * session length. Definitions in docs/analytics.md.
 */
import type { EventRecord } from '../ports/events.types.js';
import { median } from './engagement.js';
import type { SessionSpan } from './sessions/sessions.store.js';

export interface Share { key: string | null; count: number; share: number }

export interface Behavior {
  events: number;
  types: Share[];
  categories: Share[];
  /** The categorizer's intents of the events it has handled (`unknown` counted too); empty without it. */
  intents: Share[];
  sourceApps: Share[];
  /** Events per hour of the day, 0–23, in the time zone asked for. */
  hourOfDay: number[];
  /** Events per day of the week, Monday first, in the time zone asked for. */
  dayOfWeek: number[];
  sessions: number;
  typicalSessionSeconds: number;
}

/** Most keys listed per dimension (the rest are summed into the shares of nothing). */
export const TOP_KEYS = 20;
const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

function shares(counts: Map<string | null, number>, total: number): Share[] {
  return [...counts].sort(([ka, a], [kb, b]) => b - a || String(ka).localeCompare(String(kb))).slice(0, TOP_KEYS)
    .map(([key, count]) => ({ key, count, share: total === 0 ? 0 : Math.round((count / total) * 10_000) / 10_000 }));
}

const bump = <K>(map: Map<K, number>, key: K) => map.set(key, (map.get(key) ?? 0) + 1);

/** Hour (0–23) and weekday (0 = Monday) of an instant in `timeZone`. */
export function clockOf(timeZone: string): (ms: number) => [number, number] {
  const format = new Intl.DateTimeFormat('en-US', { timeZone, hour: 'numeric', hourCycle: 'h23', weekday: 'short' });
  return (ms) => {
    let hour = 0;
    let weekday = 0;
    for (const part of format.formatToParts(ms)) {
      if (part.type === 'hour') hour = Number(part.value) % 24;
      else if (part.type === 'weekday') weekday = WEEKDAYS.indexOf(part.value);
    }
    return [hour, weekday];
  };
}

/** An event as the behaviour counts it; `intent` (with the categorizer's `category`) when it was categorised. */
export type BehaviorEvent = Pick<EventRecord, 'type' | 'category' | 'sourceApp' | 'time'> & { intent?: string };

/**
 * `clock`: hour and weekday of an instant in the answer's time zone (`clockOf`). Intent shares
 * are of the events that have an intent, so a categorizer still catching up shows its
 * proportions, not a large "none".
 */
export function behavior(events: ReadonlyArray<BehaviorEvent>, spans: SessionSpan[], clock: (ms: number) => [number, number]): Behavior {
  const types = new Map<string | null, number>();
  const categories = new Map<string | null, number>();
  const intents = new Map<string | null, number>();
  let withIntent = 0;
  const apps = new Map<string | null, number>();
  const hourOfDay = Array.from({ length: 24 }, () => 0);
  const dayOfWeek = Array.from({ length: 7 }, () => 0);
  for (const e of events) {
    bump(types, e.type);
    bump(categories, e.category);
    if (e.intent !== undefined) { bump(intents, e.intent); withIntent += 1; }
    bump(apps, e.sourceApp);
    const [hour, weekday] = clock(e.time);
    hourOfDay[hour]! += 1;
    dayOfWeek[weekday]! += 1;
  }
  const typical = median(spans.map((s) => (s.endedAt - s.startedAt) / 1000));
  return {
    events: events.length, types: shares(types, events.length), categories: shares(categories, events.length),
    intents: shares(intents, withIntent), sourceApps: shares(apps, events.length),
    hourOfDay, dayOfWeek, sessions: spans.length, typicalSessionSeconds: Math.round(typical * 1000) / 1000,
  };
}
