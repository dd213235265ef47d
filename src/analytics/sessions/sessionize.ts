/**
 * Sessions from a person's events, one event at a time in log order (pure; the projection loads
 * and stores the rows). A session is the client's `sessionId` when the event carries one;
 * otherwise it is derived: the person's events of one source app belong to the same session
 * while each comes within the inactivity gap (30 minutes by default) of that session's span.
 *
 * Derived sessions only ever extend the person's latest one of that source app: an event whose
 * time lies more than a gap before that session (a late, out-of-order client time) opens a
 * session of its own. Applying the log in order always gives the same sessions, so a rebuild
 * by replay ends where one pass did.
 */

export interface SessionRow {
  tenantId: string;
  userId: string;
  /** `s:<sessionId>` for the client's sessions, `d:<seq of the first event>` for derived ones. */
  key: string;
  /** '' when the events carry none. */
  sourceApp: string;
  derived: boolean;
  /** Times of the earliest and the latest event (the events' `time`, ms). */
  startedAt: number;
  endedAt: number;
  eventCount: number;
  /** Types of the earliest and of the latest event. */
  entryType: string;
  exitType: string;
  /** Set on a person's most recent derived session of a source app: the one the next event may extend. */
  latest: boolean;
}

export interface SessionEvent {
  seq: number;
  tenantId: string;
  userId: string;
  sessionId: string | null;
  sourceApp: string | null;
  type: string;
  time: number;
}

/** What one person's batch reads and writes: client sessions by key, the latest derived one per source app. */
export interface PersonSessions {
  byKey: Map<string, SessionRow>;
  latestDerived: Map<string, SessionRow>;
  /** Rows to write: new or changed. */
  touched: Set<SessionRow>;
}

export const clientSessionKey = (sessionId: string) => `s:${sessionId}`;

function widen(row: SessionRow, event: SessionEvent): void {
  if (event.time < row.startedAt) { row.startedAt = event.time; row.entryType = event.type; }
  if (event.time >= row.endedAt) { row.endedAt = event.time; row.exitType = event.type; }
  row.eventCount += 1;
}

function open(event: SessionEvent, key: string, derived: boolean): SessionRow {
  return {
    tenantId: event.tenantId, userId: event.userId, key, sourceApp: event.sourceApp ?? '', derived,
    startedAt: event.time, endedAt: event.time, eventCount: 1, entryType: event.type, exitType: event.type, latest: derived,
  };
}

/** Applies one event to its person's sessions (events of one person, in log order); returns the session's key. */
export function applyEvent(person: PersonSessions, event: SessionEvent, gapMs: number): string {
  if (event.sessionId !== null) {
    const key = clientSessionKey(event.sessionId);
    const row = person.byKey.get(key);
    if (row) widen(row, event);
    else person.byKey.set(key, open(event, key, false));
    person.touched.add(person.byKey.get(key)!);
    return key;
  }
  const app = event.sourceApp ?? '';
  const latest = person.latestDerived.get(app);
  if (latest && event.time >= latest.startedAt - gapMs && event.time <= latest.endedAt + gapMs) {
    widen(latest, event);
    person.touched.add(latest);
    return latest.key;
  }
  if (latest) { latest.latest = false; person.touched.add(latest); }
  const row = open(event, `d:${event.seq}`, true);
  person.latestDerived.set(app, row);
  person.touched.add(row);
  return row.key;
}
