/**
 * The tenant overview (pure part): per UTC day of the range, the events (of `analytics_events`:
 * events with a person), the distinct people (stitched) and the sessions with at least one event
 * that day, so a session across midnight counts on both days; over the range each session and
 * person counts once. Days without events are given as zeros.
 */
import type { SessionDays } from './insights.source.js';

const DAY = 86_400_000;

export interface Overview {
  from: string;
  to: string;
  days: Array<{ day: string; events: number; people: number; sessions: number }>;
  totals: { events: number; people: number; sessions: number };
  topTypes: Array<{ type: string; events: number }>;
  truncated: boolean;
}

/**
 * `from` is a day's start; `days` days from it. `persons` and `sessions` count the rows' ids.
 * A session's day may come in several rows (one per type): rows are taken day by day, and a
 * mark per person and per session of the last day counted counts each once a day.
 */
export function overview(rows: SessionDays, persons: number, sessions: number, from: number, days: number, topTypes: Overview['topTypes']): Overview {
  const perDay = Array.from({ length: days }, (_, i) => ({ day: new Date(from + i * DAY).toISOString().slice(0, 10), events: 0, people: 0, sessions: 0 }));
  const dayOf = (i: number) => Math.floor((rows.day[i]! - from) / DAY);
  const start = new Int32Array(days + 1);
  for (let i = 0; i < rows.length; i++) { const d = dayOf(i); if (d >= 0 && d < days) start[d + 1]! += 1; }
  for (let d = 0; d < days; d++) start[d + 1]! += start[d]!;
  const order = new Int32Array(start[days]!);
  const fill = start.slice(0, days);
  for (let i = 0; i < rows.length; i++) { const d = dayOf(i); if (d >= 0 && d < days) order[fill[d]!++] = i; }
  const personDay = new Int32Array(persons).fill(-1);
  const sessionDay = new Int32Array(sessions).fill(-1);
  const personSeen = new Uint8Array(persons);
  const sessionSeen = new Uint8Array(sessions);
  const totals = { events: 0, people: 0, sessions: 0 };
  for (let d = 0; d < days; d++) {
    const figures = perDay[d]!;
    for (let k = start[d]!; k < start[d + 1]!; k++) {
      const i = order[k]!;
      const p = rows.person[i]!;
      const s = rows.session[i]!;
      figures.events += rows.events[i]!;
      totals.events += rows.events[i]!;
      if (personDay[p] !== d) { personDay[p] = d; figures.people += 1; }
      if (sessionDay[s] !== d) { sessionDay[s] = d; figures.sessions += 1; }
      if (personSeen[p] === 0) { personSeen[p] = 1; totals.people += 1; }
      if (sessionSeen[s] === 0) { sessionSeen[s] = 1; totals.sessions += 1; }
    }
  }
  return { from: new Date(from).toISOString(), to: new Date(from + days * DAY).toISOString(), days: perDay, totals, topTypes, truncated: rows.truncated };
}
