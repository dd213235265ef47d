/**
 * Trends (pure): per type and interval (UTC hours, days, or weeks starting Monday), the events
 * counted and the distinct people who did them. Intervals run from the start of the one holding
 * `from` up to `to` (exclusive); an event counts when its time is in [from, to).
 */
import type { EventColumns } from './columns.js';
import { periodStart } from './retention.js';

export type Interval = 'hour' | 'day' | 'week';

const HOUR = 3_600_000;
export const INTERVAL_MS: Readonly<Record<Interval, number>> = { hour: HOUR, day: 24 * HOUR, week: 7 * 24 * HOUR };

/** Start of the interval holding `ms`. */
export function intervalStart(ms: number, interval: Interval): number {
  return interval === 'hour' ? Math.floor(ms / HOUR) * HOUR : periodStart(ms, interval);
}

/** How many intervals [from, to) spans. */
export function intervalsBetween(from: number, to: number, interval: Interval): number {
  const origin = intervalStart(from, interval);
  return to <= origin ? 0 : Math.ceil((to - origin) / INTERVAL_MS[interval]);
}

export interface TrendPoint { start: string; count: number; people: number }
export interface TrendSeries { type: string; total: { count: number; people: number }; data: TrendPoint[] }

/**
 * One series per type of `typeIds` (named by `names`). `persons` counts the person ids. Rows of
 * one type must come in time order (the source's promise), so each interval's people are
 * counted with one "last interval seen" mark per person.
 */
export function trends(columns: EventColumns, persons: number, typeIds: readonly number[], names: readonly string[], from: number, to: number, interval: Interval): TrendSeries[] {
  const origin = intervalStart(from, interval);
  const width = INTERVAL_MS[interval];
  const n = intervalsBetween(from, to, interval);
  const slot = new Map(typeIds.map((t, i) => [t, i]));
  const counts = typeIds.map(() => new Float64Array(n));
  const people = typeIds.map(() => new Float64Array(n));
  const lastSeen = typeIds.map(() => new Int32Array(persons).fill(-1));
  const everSeen = typeIds.map(() => new Uint8Array(persons));
  const totals = typeIds.map(() => ({ count: 0, people: 0 }));
  for (let i = 0; i < columns.length; i++) {
    const s = slot.get(columns.type[i]!);
    const t = columns.time[i]!;
    if (s === undefined || t < from || t >= to) continue;
    const b = Math.floor((t - origin) / width);
    const p = columns.person[i]!;
    counts[s]![b]! += 1;
    totals[s]!.count += 1;
    if (lastSeen[s]![p] !== b) { lastSeen[s]![p] = b; people[s]![b]! += 1; }
    if (everSeen[s]![p] === 0) { everSeen[s]![p] = 1; totals[s]!.people += 1; }
  }
  return typeIds.map((_, s) => ({
    type: names[s]!,
    total: totals[s]!,
    data: Array.from({ length: n }, (_, b) => ({ start: new Date(origin + b * width).toISOString(), count: counts[s]![b]!, people: people[s]![b]! })),
  }));
}
