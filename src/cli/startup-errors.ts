/**
 * Failures at start a newcomer can act on — a port in use, an unwritable DATA_DIR, a missing
 * native build, an unreachable PostgreSQL/NATS/Redis — each as one line that names the fix.
 */
import { BackendUnreachableError, DataDirUnwritableError, type BackendService } from '../platform/startup.js';

type ErrnoLike = Error & { code?: string; syscall?: string; port?: number; address?: string; path?: string };

const BACKEND_FIX: Record<BackendService, string> = {
  PostgreSQL: 'start PostgreSQL or correct DATABASE_URL, or unset DATABASE_URL to use the embedded SQLite store',
  NATS: 'start nats-server with JetStream (nats-server -js) or correct NATS_URL, or unset NATS_URL to use the in-process bus',
  Redis: 'start Redis (redis-server) or correct REDIS_URL, or unset REDIS_URL to use the in-memory cache',
};

const NETWORK_REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused', ENOTFOUND: 'host not found', EAI_AGAIN: 'host name lookup failed',
  ETIMEDOUT: 'connection timed out', EHOSTUNREACH: 'host unreachable', ECONNRESET: 'connection reset',
};

/** The error and its causes (error.cause, AggregateError.errors), outermost first. */
function chain(error: unknown): ErrnoLike[] {
  const out: ErrnoLike[] = [];
  const queue: unknown[] = [error];
  while (queue.length > 0 && out.length < 10) {
    const next = queue.shift();
    if (!(next instanceof Error)) continue;
    out.push(next as ErrnoLike);
    if (next.cause) queue.push(next.cause);
    if (next instanceof AggregateError) queue.push(...next.errors);
  }
  return out;
}

function networkReason(error: unknown): string {
  for (const e of chain(error)) {
    if (e.code && NETWORK_REASONS[e.code]) return NETWORK_REASONS[e.code]!;
  }
  const messages = chain(error).map((e) => e.message).filter(Boolean);
  return messages[0] ?? 'no answer';
}

function listenProblem(e: ErrnoLike): string | null {
  if (e.syscall !== 'listen' && e.code !== 'EADDRINUSE') return null;
  const port = e.port ?? 'the configured port';
  switch (e.code) {
    case 'EADDRINUSE':
      return `port ${port} is already in use (another eventrag, or another program, listens there): stop it, or start on a free port, e.g. PORT=3001 npm start (or eventrag serve --port 3001)`;
    case 'EACCES':
      return `no permission to listen on port ${port} (ports below 1024 need privileges): use a port above 1023, e.g. PORT=3000`;
    case 'EADDRNOTAVAIL':
      return `HOST ${e.address ?? ''} is not an address of this machine: use HOST=0.0.0.0 (every interface) or HOST=127.0.0.1`;
    default:
      return null;
  }
}

/** The npm package a native `.node` file belongs to, from a loader error message. */
function nativePackage(message: string): string | null {
  if (/better[-_]sqlite3/.test(message)) return 'better-sqlite3';
  return /node_modules\/((?:@[^/]+\/)?[^/]+)\/[^\s'"]*\.node/.exec(message)?.[1] ?? null;
}

function nativeBuildProblem(e: ErrnoLike): string | null {
  const missing = e.message.includes('Could not locate the bindings file');
  const unloadable = e.code === 'ERR_DLOPEN_FAILED' || /NODE_MODULE_VERSION|invalid ELF header|wrong ELF class|\.node: cannot open shared object/.test(e.message);
  if (!missing && !unloadable) return null;
  const pkg = nativePackage(e.message) ?? 'a native module';
  const runtime = `Node.js ${process.version} (${process.platform}-${process.arch})`;
  const what = missing ? `has no native build for ${runtime}` : `has a native build for another Node.js or platform, not ${runtime}`;
  const alternative = pkg === 'better-sqlite3' ? ', or set DATABASE_URL to use PostgreSQL instead' : '';
  return `${pkg} ${what}: run npm rebuild ${pkg} (needs python3, make and g++)${alternative}`;
}

function fileProblem(e: ErrnoLike): string | null {
  if (e.code === 'SQLITE_CANTOPEN' || e.code === 'SQLITE_READONLY' || e.code === 'SQLITE_PERM') {
    return `SQLite cannot open or write its database in DATA_DIR (${e.code}): make DATA_DIR writable for this user, or point DATA_DIR at a folder you own`;
  }
  if (e.code === 'ENOSPC' || e.code === 'SQLITE_FULL') return `the disk of DATA_DIR is full: free some space, or point DATA_DIR at another disk`;
  if (e.path && ['EACCES', 'EPERM', 'EROFS'].includes(e.code ?? '')) {
    return `cannot write ${e.path} (${e.code}): make it writable for this user, or point DATA_DIR at a folder you own`;
  }
  return null;
}

/** One line with the fix for a failure at start, or null when the error is none of those. */
export function explainStartupError(error: unknown): string | null {
  for (const e of chain(error)) {
    if (e instanceof BackendUnreachableError) {
      return `cannot reach ${e.service} at ${e.target} (${e.setting}): ${networkReason(e.cause)}; ${BACKEND_FIX[e.service]}`;
    }
    if (e instanceof DataDirUnwritableError) {
      return `cannot write to DATA_DIR ${e.dir}: ${e.reason}; make it a writable folder (chown/chmod), or set DATA_DIR to a folder you own, e.g. DATA_DIR=$HOME/eventrag-data`;
    }
    const line = listenProblem(e) ?? nativeBuildProblem(e) ?? fileProblem(e);
    if (line) return line;
  }
  return null;
}
