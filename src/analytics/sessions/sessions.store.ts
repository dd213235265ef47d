/** The analytics feature's port for sessions (table `analytics_sessions`). */
import type { StoreTx } from '../../ports/store.port.js';
import type { SessionRow } from './sessionize.js';

/** One person of a tenant. */
export interface PersonRef { tenantId: string; userId: string }

/** Which session an event of a person went to. */
export interface EventSession { tenantId: string; eventId: string; userId: string; sessionKey: string }

/** A session as the engagement figures need it. */
export interface SessionSpan { startedAt: number; endedAt: number; eventCount: number }

export interface SessionsStore {
  /**
   * Inside `tx`: the persons' client sessions with these keys and their latest derived session
   * of each source app, the rows a batch of their events extends.
   */
  load(tx: StoreTx, persons: PersonRef[], clientKeys: Map<string, Set<string>>): Promise<SessionRow[]>;
  /**
   * Inside `tx`: inserts or replaces session rows and records each event's session (the
   * projection's writes, committed with its position).
   */
  save(tx: StoreTx, rows: SessionRow[], events: EventSession[]): Promise<void>;
  /** The session keys of these events of a tenant (events of no person are absent). */
  sessionKeys(tenantId: string, eventIds: string[]): Promise<Map<string, string>>;
  /** Ids of a person's events in one session, in id order, after `after`, at most `limit`. */
  eventsOfSession(tenantId: string, userId: string, sessionKey: string, after: string, limit: number): Promise<string[]>;
  /** Inside `tx`: deletes a tenant's sessions (a rebuild then applies its log again). */
  clearTenant(tx: StoreTx, tenantId: string): Promise<void>;
  /** A person's sessions that started in [from, to), oldest first, at most `limit`. */
  spans(tenantId: string, userId: string, from: number, to: number, limit: number): Promise<SessionSpan[]>;
  /** A person's sessions that started in [from, to), newest first, at most `limit`. */
  list(tenantId: string, userId: string, from: number, to: number, limit: number): Promise<SessionRow[]>;
  /** A person's sessions, oldest first (privacy export). */
  ofUser(tenantId: string, userId: string): Promise<SessionRow[]>;
  /** Deletes a person's sessions; returns how many went. */
  eraseUser(tenantId: string, userId: string): Promise<number>;
}
