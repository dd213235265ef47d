/**
 * A person's engagement over a period, from their sessions (pure). Definitions (docs/analytics.md):
 * - a session belongs to the period its start falls in; an active day is a UTC day on which one
 *   of the person's sessions started;
 * - events per session, average and median session length (end − start of each session, in s);
 * - the longest streak: the most consecutive active days within the period; the current streak:
 *   the consecutive active days that end on the period's last day, or on the day before (a day
 *   not over yet does not break it);
 * - each figure with the previous period of the same length and the relative change
 *   ((now − before) / before, null when before is 0).
 */
import type { SessionSpan } from './sessions/sessions.store.js';

export const DAY_MS = 86_400_000;

export interface Figures {
  activeDays: number;
  sessions: number;
  events: number;
  eventsPerSession: number;
  averageSessionSeconds: number;
  medianSessionSeconds: number;
  currentStreakDays: number;
  longestStreakDays: number;
}

export interface Compared { value: number; previous: number; change: number | null }

const round = (n: number) => Math.round(n * 1000) / 1000;

/** The median (0 of none). */
export function median(values: number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Figures of the sessions that started in [from, to) (`to` a day boundary or not). */
export function figures(spans: SessionSpan[], from: number, to: number): Figures {
  const inPeriod = spans.filter((s) => s.startedAt >= from && s.startedAt < to);
  const days = [...new Set(inPeriod.map((s) => Math.floor(s.startedAt / DAY_MS)))].sort((a, b) => a - b);
  let longest = 0;
  for (let i = 0, run = 0; i < days.length; i += 1) {
    run = i > 0 && days[i] === days[i - 1]! + 1 ? run + 1 : 1;
    longest = Math.max(longest, run);
  }
  const active = new Set(days);
  const lastDay = Math.floor((to - 1) / DAY_MS);
  let current = 0;
  for (let day = active.has(lastDay) ? lastDay : lastDay - 1; active.has(day); day -= 1) current += 1;
  const lengths = inPeriod.map((s) => (s.endedAt - s.startedAt) / 1000);
  const events = inPeriod.reduce((sum, s) => sum + s.eventCount, 0);
  return {
    activeDays: days.length,
    sessions: inPeriod.length,
    events,
    eventsPerSession: inPeriod.length === 0 ? 0 : round(events / inPeriod.length),
    averageSessionSeconds: lengths.length === 0 ? 0 : round(lengths.reduce((a, b) => a + b, 0) / lengths.length),
    medianSessionSeconds: round(median(lengths)),
    currentStreakDays: current,
    longestStreakDays: longest,
  };
}

/** Each figure of the period [from, to) beside the one of the period of the same length before it. */
export function engagement(spans: SessionSpan[], from: number, to: number): Record<keyof Figures, Compared> {
  const now = figures(spans, from, to);
  const before = figures(spans, from - (to - from), from);
  const out = {} as Record<keyof Figures, Compared>;
  for (const key of Object.keys(now) as Array<keyof Figures>) {
    out[key] = { value: now[key], previous: before[key], change: before[key] === 0 ? null : round((now[key] - before[key]) / before[key]) };
  }
  return out;
}
