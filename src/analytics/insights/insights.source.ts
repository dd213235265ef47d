/**
 * The narrow reads of the tenant insights, over the `analytics_events` projection (one row per
 * event with a person) and its person links: each row's person is the user its actor was
 * stitched to (Segment identify/alias), else the actor itself.
 */
import type { EventColumns, Interner } from './columns.js';

export interface EventsQuery {
  tenantId: string;
  /** The types to read; null for every type. */
  types: readonly string[] | null;
  /** Event times in [from, to) (ms). */
  from: number;
  to: number;
  /** At most this many rows; past it the earliest are kept and the columns say `truncated`. */
  limit: number;
  /**
   * Interners shared by the reads of one answer, so ids agree across them. With `sessions` the
   * rows' sessions (an actor's session key) are read into `session`; without, it holds -1.
   */
  interned: { persons: Interner; types: Interner; sessions?: Interner };
  /** A property path of the event's data (`plan`, `plan.tier`) to read as text into `value`. */
  breakdown?: string;
}

export interface OverviewDay {
  /** Start of the UTC day (ms). */
  day: number;
  events: number;
  people: number;
  sessions: number;
}

export interface OverviewFigures {
  days: OverviewDay[];
  totals: { events: number; people: number; sessions: number };
  topTypes: Array<{ type: string; events: number; people: number }>;
}

export interface InsightsSource {
  /**
   * The rows of the tenant's events of `types` in [from, to), in time order within each type
   * (ties by log position), the earliest `limit` kept.
   */
  events(query: EventsQuery): Promise<EventColumns>;
  /**
   * Events, people and sessions per UTC day in [from, to) (days without events are absent),
   * the same over the whole range, and the `top` types with the most events.
   */
  overview(tenantId: string, from: number, to: number, top: number): Promise<OverviewFigures>;
}
