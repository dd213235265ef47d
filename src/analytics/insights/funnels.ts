/**
 * Funnels over people (pure). Per person, one attempt counts: the one that reaches the most steps,
 * the earliest (by its first step's time) among those. Definitions (docs/analytics.md, "Tenant insights"):
 *
 * - ordered: step k is reached when there are distinct events at t1 ≤ t2 ≤ … ≤ tk, step i's type
 *   at ti, with tk − t1 ≤ the window and t1 in [from, to]; other events may come between them.
 * - strict: as ordered, and the step events are consecutive among all the person's events (no
 *   event of any type between them; ties in time go by log position).
 * - unordered: step k is reached when k of the steps' events occur within the window from the
 *   first of them (any order; a type listed twice needs two events); that first one is in [from, to].
 *
 * Times to convert run from the previous step's event to this step's, in the counted attempt.
 */
import { groupBy, median, ratio, seconds, type EventColumns } from './columns.js';

export type FunnelOrder = 'ordered' | 'strict' | 'unordered';

export interface FunnelQuery {
  /** Type ids (of the read's type interner), one per step; a type may repeat. */
  steps: readonly number[];
  order: FunnelOrder;
  windowMs: number;
  /** The first step's event must fall in [from, to] (ms). */
  from: number;
  to: number;
}

/** Per person: steps reached, each step's time in the counted attempt, and that attempt's first row. */
export interface FunnelPersons {
  k: number;
  depth: Uint8Array;
  stepTime: Float64Array;
  anchor: Int32Array;
}

export interface FunnelStep {
  step: number;
  /** The step's type; null for unordered funnels, whose step k means "any k of the types". */
  type: string | null;
  label: string;
  people: number;
  conversionFromFirst: number | null;
  conversionFromPrevious: number | null;
  averageSecondsToConvert: number | null;
  medianSecondsToConvert: number | null;
}

/** First index of `list` (row positions in time order) whose time is ≥ t. */
function lowerBound(list: number[], time: Float64Array, rows: Int32Array, t: number, strictlyAbove = false): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const v = time[rows[list[mid]!]!]!;
    if (strictlyAbove ? v <= t : v < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

interface PersonView {
  rows: Int32Array; // the person's rows in time order
  lists: number[][]; // per step slot: positions (into rows) of that slot's type
  rank: Int32Array; // per position: its index in its slot's list
}

type Attempt = (view: PersonView, anchorPos: number, out: Float64Array) => number;

function orderedAttempt(q: FunnelQuery, slotOf: readonly number[], cols: EventColumns): Attempt {
  const used = new Int32Array(q.steps.length);
  return (view, anchorPos, out) => {
    used.fill(-1);
    const t1 = cols.time[view.rows[anchorPos]!]!;
    used[slotOf[0]!] = view.rank[anchorPos]!;
    out[0] = t1;
    let prev = t1;
    for (let j = 1; j < q.steps.length; j++) {
      const slot = slotOf[j]!;
      const list = view.lists[slot]!;
      const idx = Math.max(lowerBound(list, cols.time, view.rows, prev), used[slot]! + 1);
      if (idx >= list.length) return j;
      const t = cols.time[view.rows[list[idx]!]!]!;
      if (t - t1 > q.windowMs) return j;
      used[slot] = idx;
      out[j] = prev = t;
    }
    return q.steps.length;
  };
}

function strictAttempt(q: FunnelQuery, cols: EventColumns): Attempt {
  return (view, anchorPos, out) => {
    const t1 = cols.time[view.rows[anchorPos]!]!;
    out[0] = t1;
    for (let j = 1; j < q.steps.length; j++) {
      const row = view.rows[anchorPos + j];
      if (row === undefined || cols.type[row] !== q.steps[j] || cols.time[row]! - t1 > q.windowMs) return j;
      out[j] = cols.time[row]!;
    }
    return q.steps.length;
  };
}

function unorderedAttempt(q: FunnelQuery, multiplicity: readonly number[], cols: EventColumns): Attempt {
  const chosen: number[] = [];
  return (view, anchorPos, out) => {
    const t1 = cols.time[view.rows[anchorPos]!]!;
    chosen.length = 0;
    for (let s = 0; s < multiplicity.length; s++) {
      const list = view.lists[s]!;
      const lo = lowerBound(list, cols.time, view.rows, t1);
      const hi = Math.min(lowerBound(list, cols.time, view.rows, t1 + q.windowMs, true), lo + multiplicity[s]!);
      for (let i = lo; i < hi; i++) chosen.push(cols.time[view.rows[list[i]!]!]!);
    }
    chosen.sort((a, b) => a - b);
    for (let j = 0; j < chosen.length; j++) out[j] = chosen[j]!;
    return chosen.length;
  };
}

/** The counted attempt of every person (people are `columns.person` ids, 0 … persons − 1). */
export function funnelPersons(columns: EventColumns, persons: number, q: FunnelQuery): FunnelPersons {
  const k = q.steps.length;
  const distinct = [...new Set(q.steps)];
  const slotOfType = new Map(distinct.map((t, i) => [t, i]));
  const slotOf = q.steps.map((t) => slotOfType.get(t)!);
  const multiplicity = distinct.map((t) => q.steps.filter((s) => s === t).length);
  const attempt = q.order === 'ordered' ? orderedAttempt(q, slotOf, columns)
    : q.order === 'strict' ? strictAttempt(q, columns) : unorderedAttempt(q, multiplicity, columns);
  const isAnchor = (typeId: number) => (q.order === 'unordered' ? slotOfType.has(typeId) : typeId === q.steps[0]);

  const groups = groupBy(columns, columns.person, persons);
  const result: FunnelPersons = { k, depth: new Uint8Array(persons), stepTime: new Float64Array(persons * k), anchor: new Int32Array(persons).fill(-1) };
  const lists: number[][] = distinct.map(() => []);
  const out = new Float64Array(k);
  let rank = new Int32Array(64);
  for (let p = 0; p < persons; p++) {
    const rows = groups.order.subarray(groups.start[p]!, groups.start[p + 1]!);
    if (rank.length < rows.length) rank = new Int32Array(rows.length * 2);
    for (const list of lists) list.length = 0;
    for (let i = 0; i < rows.length; i++) {
      const slot = slotOfType.get(columns.type[rows[i]!]!);
      if (slot !== undefined) { rank[i] = lists[slot]!.length; lists[slot]!.push(i); }
    }
    const view = { rows, lists, rank };
    let best = 0;
    for (let i = 0; i < rows.length && best < k; i++) {
      const row = rows[i]!;
      const t = columns.time[row]!;
      if (!isAnchor(columns.type[row]!) || t < q.from || t > q.to) continue;
      const depth = attempt(view, i, out);
      if (depth > best) {
        best = depth;
        result.anchor[p] = row;
        result.stepTime.set(out.subarray(0, depth), p * k);
      }
    }
    result.depth[p] = best;
  }
  return result;
}

/** Step figures over the people in `members` (all people when absent). */
export function funnelSteps(r: FunnelPersons, stepTypes: readonly string[], order: FunnelOrder, members?: ArrayLike<number>): FunnelStep[] {
  const people = members ?? Array.from({ length: r.depth.length }, (_, i) => i);
  const reached = new Array<number>(r.k).fill(0);
  const waits: number[][] = Array.from({ length: r.k }, () => []);
  for (let i = 0; i < people.length; i++) {
    const p = people[i]!;
    const depth = r.depth[p]!;
    for (let j = 0; j < depth; j++) {
      reached[j]! += 1;
      if (j > 0) waits[j]!.push(r.stepTime[p * r.k + j]! - r.stepTime[p * r.k + j - 1]!);
    }
  }
  return reached.map((n, j) => {
    const w = waits[j]!;
    const avg = j === 0 || w.length === 0 ? null : seconds(w.reduce((a, b) => a + b, 0) / w.length);
    const med = j === 0 ? null : median(w);
    return {
      step: j + 1,
      type: order === 'unordered' ? null : stepTypes[j]!,
      label: order === 'unordered' ? `any ${j + 1} of ${r.k}` : stepTypes[j]!,
      people: n,
      conversionFromFirst: ratio(n, reached[0]!),
      conversionFromPrevious: j === 0 ? ratio(n, n) : ratio(n, reached[j - 1]!),
      averageSecondsToConvert: avg,
      medianSecondsToConvert: med === null ? null : seconds(med),
    };
  });
}

export interface FunnelBreakdown {
  values: Array<{ value: string | null; steps: FunnelStep[] }>;
  /** The values past the top ones, merged; null when there were none. */
  other: { values: number; steps: FunnelStep[] } | null;
}

/**
 * Steps per value of the breakdown property, read from each person's counted first-step event:
 * the `top` values with the most people at step 1 (ties by value), the rest merged as `other`.
 */
export function funnelBreakdown(r: FunnelPersons, columns: EventColumns, stepTypes: readonly string[], order: FunnelOrder, top: number): FunnelBreakdown {
  const byValue = new Map<string | null, number[]>();
  for (let p = 0; p < r.depth.length; p++) {
    if (r.depth[p] === 0) continue;
    const value = columns.value?.[r.anchor[p]!] ?? null;
    const members = byValue.get(value);
    if (members) members.push(p);
    else byValue.set(value, [p]);
  }
  // Most people first; ties by value, the absent value (null) last.
  const ranked = [...byValue].sort((a, b) => b[1].length - a[1].length || (a[0] === null ? 1 : b[0] === null ? -1 : a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const rest = ranked.slice(top);
  return {
    values: ranked.slice(0, top).map(([value, members]) => ({ value, steps: funnelSteps(r, stepTypes, order, members) })),
    other: rest.length === 0 ? null : { values: rest.length, steps: funnelSteps(r, stepTypes, order, rest.flatMap(([, m]) => m)) },
  };
}
