/**
 * Recognises a database that cannot be reached or cannot write right now (as opposed to a bug in
 * a query), by the shape of the driver's error, so the HTTP layer answers 503 STORE_UNAVAILABLE
 * with Retry-After instead of 500. Knows error shapes only, never the drivers themselves.
 */

/** Node socket errors of a connection that failed or dropped. */
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/** PostgreSQL SQLSTATEs: class 08 (connection exception), 57P01–57P03 (shutdown, cannot connect now), 53300 (too many connections). */
const PG_STATES = /^(08\d{3}|57P0[123]|53300)$/;

/** SQLite result codes of a busy, full, read-only or failing database file. */
const SQLITE_CODES = /^SQLITE_(BUSY|LOCKED|FULL|IOERR|READONLY|CANTOPEN|PROTOCOL)/;

/** Messages of pg / pg-pool when the connection is lost or cannot be made. */
const PG_MESSAGES = /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection ended unexpectedly)/;

export function isStoreOutage(error: unknown): boolean {
  for (let current = error, depth = 0; current && depth < 5; depth += 1) {
    const { code, message } = current as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && (SOCKET_CODES.has(code) || PG_STATES.test(code) || SQLITE_CODES.test(code))) return true;
    if (typeof message === 'string' && PG_MESSAGES.test(message)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/** Seconds a client should wait before retrying after an outage answer. */
export const STORE_RETRY_AFTER_SECONDS = 5;
