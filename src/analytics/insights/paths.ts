/**
 * Paths through sessions (pure), with step-indexed nodes as PostHog's (`1_page.viewed`,
 * `2_item.searched`): one path per session, its events in time order (ties by log position).
 *
 * - `from` set: the path starts at the session's first `from` event (sessions without one count
 *   no path); else at the session's first event.
 * - `to` set: the path ends at the first `to` event from the start; with `from` too, a session
 *   whose `to` is more than `steps` events away counts no path; with `to` alone, the path is
 *   the (at most) `steps` events ending there. Without `to`, the path is the first `steps` events.
 *
 * An edge `i_a → (i+1)_b` counts the sessions that went from a to b as their i-th step, with the
 * average seconds between the two events. The `edges` edges with the most sessions are kept.
 */
import { groupBy, seconds, type EventColumns } from './columns.js';

export interface PathsQuery {
  /** Type ids of the start and end types; null when not given (-1: given, never seen). */
  from: number | null;
  to: number | null;
  steps: number;
  edges: number;
}

export interface PathEdge {
  source: string;
  target: string;
  value: number;
  averageTimeS: number;
}

function firstOf(type: Int32Array, rows: Int32Array, wanted: number, fromPos: number): number {
  for (let i = fromPos; i < rows.length; i++) if (type[rows[i]!] === wanted) return i;
  return -1;
}

/** The [start, end] positions of a session's path; null when it has none. */
function span(columns: EventColumns, rows: Int32Array, q: PathsQuery): [number, number] | null {
  let start = 0;
  if (q.from !== null) {
    start = firstOf(columns.type, rows, q.from, 0);
    if (start < 0) return null;
  }
  if (q.to === null) return [start, Math.min(rows.length, start + q.steps) - 1];
  // The start event itself may be the end when from = to: look after it.
  const end = firstOf(columns.type, rows, q.to, q.from === null ? 0 : start + 1);
  if (end < 0) return null;
  if (q.from === null) return [Math.max(0, end - q.steps + 1), end];
  return end - start + 1 > q.steps ? null : [start, end];
}

/** Edges of the sessions' paths; `sessions` counts the session ids of `columns.session`. */
export function paths(columns: EventColumns, sessions: number, typeNames: readonly string[], q: PathsQuery): { edges: PathEdge[]; paths: number } {
  const groups = groupBy(columns, columns.session, sessions);
  const edges = new Map<string, { source: string; target: string; value: number; ms: number }>();
  let counted = 0;
  for (let s = 0; s < sessions; s++) {
    const rows = groups.order.subarray(groups.start[s]!, groups.start[s + 1]!);
    if (rows.length === 0) continue;
    const range = span(columns, rows, q);
    if (range === null) continue;
    counted += 1;
    const [start, end] = range;
    for (let i = start; i < end; i++) {
      const a = rows[i]!;
      const b = rows[i + 1]!;
      const step = i - start + 1;
      const source = `${step}_${typeNames[columns.type[a]!]}`;
      const target = `${step + 1}_${typeNames[columns.type[b]!]}`;
      const key = `${source}\u0000${target}`;
      const edge = edges.get(key) ?? { source, target, value: 0, ms: 0 };
      edge.value += 1;
      edge.ms += columns.time[b]! - columns.time[a]!;
      edges.set(key, edge);
    }
  }
  const ranked = [...edges.values()].sort((x, y) => y.value - x.value || (x.source < y.source ? -1 : x.source > y.source ? 1 : x.target < y.target ? -1 : x.target > y.target ? 1 : 0));
  return {
    edges: ranked.slice(0, q.edges).map((e) => ({ source: e.source, target: e.target, value: e.value, averageTimeS: seconds(e.ms / e.value) })),
    paths: counted,
  };
}
