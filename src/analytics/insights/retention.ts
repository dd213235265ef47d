/**
 * Retention cohorts (pure), as PostHog's retention insight: periods are UTC days, weeks starting
 * Monday, or calendar months.
 *
 * - first_time: a person's cohort is the period of their first `event` ever (the read covers the
 *   whole log before `to`); people whose first one is before `from` are in no cohort.
 * - recurring: a person is in the cohort of every period in [from, to) where they did `event`.
 *
 * values[0] is the cohort's size (PostHog: "Day 0 … will always be 100%"); values[i] counts the
 * cohort's people who did `returning` in the i-th period after the cohort's. Periods that start
 * at or after `to` are not reported, so later cohorts have fewer values.
 */
import type { EventColumns } from './columns.js';

export type Period = 'day' | 'week' | 'month';
export type RetentionType = 'first_time' | 'recurring';

const DAY = 86_400_000;
/** 1970-01-01 was a Thursday: Mondays are 4 days past a multiple of 7 days. */
const MONDAY = 4 * DAY;

/** Start (ms, UTC) of the period holding `ms`. */
export function periodStart(ms: number, period: Period): number {
  if (period === 'day') return Math.floor(ms / DAY) * DAY;
  if (period === 'week') return Math.floor((ms - MONDAY) / (7 * DAY)) * 7 * DAY + MONDAY;
  const d = new Date(ms);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}

/** Start of the period `n` periods after the one starting at `start`. */
export function addPeriods(start: number, n: number, period: Period): number {
  if (period === 'day') return start + n * DAY;
  if (period === 'week') return start + n * 7 * DAY;
  const d = new Date(start);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + n, 1);
}

/** How many periods after `origin` (a period start) the period holding `ms` is. */
export function periodIndex(ms: number, origin: number, period: Period): number {
  if (period === 'day') return Math.floor((ms - origin) / DAY);
  if (period === 'week') return Math.floor((ms - origin) / (7 * DAY));
  const a = new Date(origin);
  const b = new Date(ms);
  return (b.getUTCFullYear() - a.getUTCFullYear()) * 12 + b.getUTCMonth() - a.getUTCMonth();
}

/** Periods starting in [start of from's period, to). */
export function periodsBetween(from: number, to: number, period: Period): number {
  const origin = periodStart(from, period);
  return to <= origin ? 0 : periodIndex(to - 1, origin, period) + 1;
}

export interface RetentionQuery {
  type: RetentionType;
  period: Period;
  /** Values per cohort (period 0 included). */
  intervals: number;
  from: number;
  to: number;
}

export interface Cohort {
  cohort: string;
  size: number;
  values: number[];
}

/**
 * The cohort matrix. `starts` holds the rows of `event` in [from, to), `returns` those of
 * `returning`; both read with one person interner of `persons` people. For first_time,
 * `earlier` lists the people who did `event` before `from` (they are in no cohort).
 */
export function retention(starts: EventColumns, returns: EventColumns, persons: number, q: RetentionQuery, earlier: ArrayLike<number> = []): Cohort[] {
  const origin = periodStart(q.from, q.period);
  const P = periodsBetween(q.from, q.to, q.period);
  const inCohort = new Uint8Array(persons * P);
  if (q.type === 'first_time') {
    const first = new Float64Array(persons).fill(Infinity);
    for (let i = 0; i < earlier.length; i++) first[earlier[i]!] = -Infinity;
    for (let i = 0; i < starts.length; i++) if (starts.time[i]! < first[starts.person[i]!]!) first[starts.person[i]!] = starts.time[i]!;
    for (let p = 0; p < persons; p++) {
      if (first[p]! < origin || first[p]! >= q.to) continue;
      inCohort[p * P + periodIndex(first[p]!, origin, q.period)] = 1;
    }
  } else {
    for (let i = 0; i < starts.length; i++) {
      const t = starts.time[i]!;
      if (t >= origin && t < q.to) inCohort[starts.person[i]! * P + periodIndex(t, origin, q.period)] = 1;
    }
  }
  const returned = new Uint8Array(persons * P);
  for (let i = 0; i < returns.length; i++) {
    const t = returns.time[i]!;
    if (t >= origin && t < q.to) returned[returns.person[i]! * P + periodIndex(t, origin, q.period)] = 1;
  }
  const cohorts: Cohort[] = [];
  for (let c = 0; c < P; c++) {
    const width = Math.min(q.intervals, P - c);
    const values = new Array<number>(width).fill(0);
    for (let p = 0; p < persons; p++) {
      if (inCohort[p * P + c] === 0) continue;
      values[0]! += 1;
      for (let i = 1; i < width; i++) values[i]! += returned[p * P + c + i]!;
    }
    cohorts.push({ cohort: new Date(addPeriods(origin, c, q.period)).toISOString(), size: values[0]!, values });
  }
  return cohorts;
}
