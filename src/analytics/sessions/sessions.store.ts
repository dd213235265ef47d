/**
 * The analytics feature's port for persons and sessions: tables `analytics_sessions` (sessions
 * per actor), `analytics_events` (each event about someone, with its session) and
 * `analytics_person_links` (ids stitched to a user). An actor is an event's user id, else the
 * anonymous id it carries; a person is a user id with the actors linked to it.
 */
import type { StoreTx } from '../../ports/store.port.js';
import type { SessionRow } from './sessionize.js';

/** One actor of a tenant (`userId` holds the actor: a user id or an anonymous id). */
export interface PersonRef { tenantId: string; userId: string }

/** One event about an actor, as the analyses read it. */
export interface AnalyticsEvent {
  tenantId: string;
  eventId: string;
  seq: number;
  time: number;
  type: string;
  category: string;
  /** '' when the event names none. */
  sourceApp: string;
  actor: string;
  sessionKey: string;
}

/** An identify or alias fact: `id` (an anonymous or earlier id) is the person `to` from now on. */
export interface PersonLink { tenantId: string; id: string; to: string; at: number }

/** A session as the engagement figures need it. */
export interface SessionSpan { startedAt: number; endedAt: number; eventCount: number }

/** Which of a person's events to read: a time range, a session, a page after a (time, id) cursor. */
export interface PersonEventsQuery {
  from?: number;
  to?: number;
  sessionKey?: string;
  /** Oldest first from after this cursor, or (newestFirst) the newest first. */
  after?: { time: number; eventId: string };
  newestFirst?: boolean;
  limit: number;
}

/** Ids linked to one person that the per-person answers follow (the most recently linked). */
export const MAX_STITCHED_IDS = 100;

export interface SessionsStore {
  /**
   * Inside `tx`: the actors' client sessions with these keys and their latest derived session
   * of each source app, the rows a batch of their events extends.
   */
  load(tx: StoreTx, persons: PersonRef[], clientKeys: Map<string, Set<string>>): Promise<SessionRow[]>;
  /** Inside `tx`: inserts or replaces session rows and records each event with its session. */
  save(tx: StoreTx, rows: SessionRow[], events: AnalyticsEvent[]): Promise<void>;
  /**
   * Inside `tx`: applies links in order. A link to an id that is itself linked goes to that
   * id's person; ids linked to `id` move along; a link that would close a cycle is ignored.
   */
  link(tx: StoreTx, links: PersonLink[]): Promise<void>;
  /** The person's actors: `userId` first, then the ids linked to it (at most MAX_STITCHED_IDS). */
  actorsOf(tenantId: string, userId: string): Promise<string[]>;
  /** Events of these actors, ordered by (time, event id). */
  personEvents(tenantId: string, actors: string[], query: PersonEventsQuery): Promise<AnalyticsEvent[]>;
  /** Inside `tx`: deletes a tenant's rows (a rebuild then applies its log again). */
  clearTenant(tx: StoreTx, tenantId: string): Promise<void>;
  /** The actors' sessions that started in [from, to), oldest first, at most `limit` (a client session of several actors counts once). */
  spans(tenantId: string, actors: string[], from: number, to: number, limit: number): Promise<SessionSpan[]>;
  /** The actors' sessions that started in [from, to), newest first, at most `limit` (merged like `spans`). */
  list(tenantId: string, actors: string[], from: number, to: number, limit: number): Promise<SessionRow[]>;
  /** Everything held about a person (their sessions, events' sessions, links), for the privacy export. */
  exportPerson(tenantId: string, userId: string): Promise<{ sessions: SessionRow[]; stitchedIds: string[]; events: number }>;
  /** Deletes a person's rows and those of the ids stitched to them; returns how many rows went. */
  erasePerson(tenantId: string, userId: string): Promise<number>;
}
