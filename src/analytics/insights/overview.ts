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

/** `from` is a day's start; `days` days from it. `persons` and `sessions` count the rows' ids. */
export function overview(rows: SessionDays, persons: number, sessions: number, from: number, days: number, topTypes: Overview['topTypes']): Overview {
  const perDay = Array.from({ length: days }, (_, i) => ({ day: new Date(from + i * DAY).toISOString().slice(0, 10), events: 0, people: 0, sessions: 0 }));
  const lastDay = new Int32Array(persons).fill(-1);
  const personSeen = new Uint8Array(persons);
  const sessionSeen = new Uint8Array(sessions);
  const totals = { events: 0, people: 0, sessions: 0 };
  for (let i = 0; i < rows.length; i++) {
    const d = Math.floor((rows.day[i]! - from) / DAY);
    const figures = perDay[d];
    if (figures === undefined) continue;
    const p = rows.person[i]!;
    const s = rows.session[i]!;
    figures.events += rows.events[i]!;
    figures.sessions += 1; // one row per session and day
    totals.events += rows.events[i]!;
    // Rows come in day order, so a person's mark of the last day seen counts them once a day.
    if (lastDay[p] !== d) { lastDay[p] = d; figures.people += 1; }
    if (personSeen[p] === 0) { personSeen[p] = 1; totals.people += 1; }
    if (sessionSeen[s] === 0) { sessionSeen[s] = 1; totals.sessions += 1; }
  }
  return { from: new Date(from).toISOString(), to: new Date(from + days * DAY).toISOString(), days: perDay, totals, topTypes, truncated: rows.truncated };
}
