/** One event of a log the next-action model is evaluated on, and the check of a record read from a file. */
export interface LoggedEvent {
  personId: string;
  /** The client's session; when absent, sessions end after 30 minutes without events. */
  sessionId?: string;
  type: string;
  /** Milliseconds since the epoch. */
  time: number;
}

/** A LoggedEvent from a parsed JSON record; `time` may be epoch milliseconds or an ISO 8601 string. */
export function toLoggedEvent(value: unknown): LoggedEvent {
  if (typeof value !== 'object' || value === null) throw new TypeError('event is not an object');
  const record = value as Record<string, unknown>;
  if (typeof record.personId !== 'string' || record.personId === '') throw new TypeError('personId must be a non-empty string');
  if (typeof record.type !== 'string' || record.type === '') throw new TypeError('type must be a non-empty string');
  if (record.sessionId !== undefined && record.sessionId !== null && typeof record.sessionId !== 'string') throw new TypeError('sessionId must be a string');
  const time = typeof record.time === 'string' ? Date.parse(record.time) : record.time;
  if (typeof time !== 'number' || !Number.isFinite(time)) throw new TypeError('time must be epoch milliseconds or an ISO 8601 string');
  const event: LoggedEvent = { personId: record.personId, type: record.type, time };
  if (typeof record.sessionId === 'string') event.sessionId = record.sessionId;
  return event;
}
