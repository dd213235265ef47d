/**
 * The narrow reads of the tenant insights, over the `analytics_events` projection (one row per
 * event with a person) and its person links: each row's person is the user its actor was
 * stitched to (Segment identify/alias), else the actor itself. Sessions are an actor's session
 * keys, interned as `<length of actor>:<actor><session key>`.
 */
import type { EventColumns, Interner } from './columns.js';

export interface EventsQuery {
  tenantId: string;
  /** The types to read; null for every type of the tenant (the first 1000 by name; more: `truncated`). */
  types: readonly string[] | null;
  /** Event times in [from, to) (ms). */
  from: number;
  to: number;
  /** An earlier end for some of the types (type → end, ms), e.g. a funnel's first step. */
  until?: Readonly<Record<string, number>>;
  /** At most this many rows: types are read in name order, each its earliest rows, until the cap (then `truncated`). */
  limit: number;
  /**
   * Interners shared by the reads of one answer, so ids agree across them. With `sessions` the
   * rows' sessions (an actor's session key) are read into `session`; without, it holds -1.
   */
  interned: { persons: Interner; types: Interner; sessions?: Interner };
  /** A property path of the event's data (`plan`, `plan.tier`) to read as text into `value`. */
  breakdown?: string;
}

/** Row i: person[i]'s session[i] had events[i] events on the UTC day starting at day[i] (ms); a session and day may come in several rows. */
export interface SessionDays {
  length: number;
  day: Float64Array;
  person: Int32Array;
  session: Int32Array;
  events: Float64Array;
  /** True when there were more rows than the limit (the earliest days were kept). */
  truncated: boolean;
}

export interface InsightsSource {
  /**
   * The rows of the tenant's events of `types` in [from, to), in time order within each type
   * (ties by log position), the earliest `limit` kept.
   */
  events(query: EventsQuery): Promise<EventColumns>;
  /**
   * The people (ids of `persons`) who did `type` before `before`: one row per actor, however
   * long the history; at most `limit` actors (then `truncated`).
   */
  peopleBefore(query: { tenantId: string; type: string; before: number; limit: number; persons: Interner }): Promise<{ persons: Int32Array; truncated: boolean }>;
  /**
   * Per UTC day of [from, to) and session (an actor's session key): the session's person and
   * its events that day, in day order, at most `limit` rows (then `truncated`).
   */
  sessionDays(query: { tenantId: string; from: number; to: number; limit: number; interned: { persons: Interner; sessions: Interner } }): Promise<SessionDays>;
  /** The `top` types with the most events in [from, to), most first (ties by type). */
  topTypes(tenantId: string, from: number, to: number, top: number): Promise<Array<{ type: string; events: number }>>;
}
