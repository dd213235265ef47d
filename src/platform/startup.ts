/**
 * Start-up checks: the data directory can be written, and every remote backend named in the
 * configuration answers its first connection within a bound. Each failure is a typed error the
 * CLI turns into one line with the fix.
 */
import { accessSync, constants, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { errorMessage } from './errors.js';

/** How long a remote backend may take to answer its first connection at start. */
export const STARTUP_CONNECT_TIMEOUT_MS = 10_000;

export type BackendService = 'PostgreSQL' | 'NATS' | 'Redis';
export type BackendSetting = 'DATABASE_URL' | 'NATS_URL' | 'REDIS_URL';

/** A backend named in the configuration did not answer at start. */
export class BackendUnreachableError extends Error {
  constructor(readonly service: BackendService, readonly setting: BackendSetting, readonly target: string, cause: unknown) {
    super(`cannot reach ${service} at ${target} (${setting}): ${errorMessage(cause)}`, { cause });
    this.name = 'BackendUnreachableError';
  }
}

/** DATA_DIR cannot be created or written. */
export class DataDirUnwritableError extends Error {
  constructor(readonly dir: string, readonly reason: string, cause: unknown) {
    super(`cannot write to DATA_DIR ${dir}: ${reason}`, { cause });
    this.name = 'DataDirUnwritableError';
  }
}

/** A connection URL with its password masked, for messages. */
export function maskUrl(url: string): string {
  return url.replace(/\/\/([^:@/\s]*):[^@/\s]*@/g, '//$1:***@');
}

/** Creates `dir` if needed and checks this process may write into it. */
export function ensureWritableDir(dir: string): void {
  const absolute = resolve(dir);
  try {
    mkdirSync(absolute, { recursive: true });
    accessSync(absolute, constants.W_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOTDIR' || code === 'EEXIST' ? 'a file is in the way (it is not a folder)'
      : code === 'EACCES' || code === 'EPERM' ? 'permission denied'
        : code === 'EROFS' ? 'the file system is read-only'
          : errorMessage(error);
    throw new DataDirUnwritableError(absolute, reason, error);
  }
}

/** Runs `probe` (a first connection); a failure or no answer within the bound throws BackendUnreachableError. */
export async function reachable(service: BackendService, setting: BackendSetting, url: string, probe: () => Promise<unknown>, timeoutMs = STARTUP_CONNECT_TIMEOUT_MS): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs);
  });
  try {
    await Promise.race([probe(), timeout]);
  } catch (error) {
    throw new BackendUnreachableError(service, setting, maskUrl(url), error);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Resolves when an ioredis client is ready; rejects on its first connection error. The error
 * listener stays (a no-op once settled), so later reconnect errors are never unhandled.
 */
export function redisReady(client: { status: string; once(event: 'ready', listener: () => void): unknown; on(event: 'error', listener: (error: Error) => void): unknown }): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  return new Promise((resolvePromise, reject) => {
    client.once('ready', () => resolvePromise());
    client.on('error', (error) => reject(error));
  });
}
