/**
 * The tenant overview (pure part): the figures of each UTC day of the range, days without events
 * included as zeros. Events and people count `analytics_events` rows (events with a person;
 * people stitched); a day's sessions are the sessions with at least one event that day, so a
 * session across midnight counts on both days (the range's total counts it once).
 */
import type { OverviewDay, OverviewFigures } from './insights.source.js';

const DAY = 86_400_000;

export interface Overview {
  from: string;
  to: string;
  days: Array<{ day: string; events: number; people: number; sessions: number }>;
  totals: OverviewFigures['totals'];
  topTypes: OverviewFigures['topTypes'];
}

/** `from` is a day's start; `days` days from it, each with its figures or zeros. */
export function overview(figures: OverviewFigures, from: number, days: number): Overview {
  const byDay = new Map<number, OverviewDay>(figures.days.map((d) => [d.day, d]));
  return {
    from: new Date(from).toISOString(),
    to: new Date(from + days * DAY).toISOString(),
    days: Array.from({ length: days }, (_, i) => {
      const day = from + i * DAY;
      const f = byDay.get(day);
      return { day: new Date(day).toISOString().slice(0, 10), events: f?.events ?? 0, people: f?.people ?? 0, sessions: f?.sessions ?? 0 };
    }),
    totals: figures.totals,
    topTypes: figures.topTypes,
  };
}
