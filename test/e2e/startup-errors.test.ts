/**
 * Failures at start, through the real `eventrag serve` as a child process: each prints one line
 * naming the fix on stderr and exits non-zero (instead of a stack trace or a process that hangs).
 */
import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { explainStartupError } from '../../src/cli/startup-errors.js';
import { BackendUnreachableError } from '../../src/platform/startup.js';
import { childEnv } from '../helpers/processes.js';

const ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'eventrag');
const FIXTURE = join(ROOT, 'test', 'fixtures', 'native-load-failure.cjs');
const scratch = mkdtempSync(join(tmpdir(), 'eventrag-startup-'));
afterAll(() => {
  chmodSync(scratch, 0o755);
  rmSync(scratch, { recursive: true, force: true });
});

let dirs = 0;
const freshDir = () => join(scratch, `data-${++dirs}`);

interface Outcome { code: number | null; stderr: string; stdout: string }

/** Runs `eventrag serve`; a start that hangs fails the test (the bound is generous for a loaded machine). */
function serve(settings: Record<string, string>, nodeArgs: string[] = []): Promise<Outcome> {
  const env = childEnv({ PORT: '0', DATA_DIR: freshDir(), LOG_LEVEL: 'warn', ...settings });
  return new Promise((resolve) => {
    execFile(process.execPath, [...nodeArgs, BIN, 'serve'], { cwd: ROOT, env, timeout: 100_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (error as { code?: number }).code ?? null : 0, stderr, stdout });
    });
  });
}

/** Exactly one non-empty stderr line, starting with "eventrag: ". */
function oneLine(outcome: Outcome): string {
  const lines = outcome.stderr.split('\n').filter((l) => l.trim());
  expect(lines, outcome.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^eventrag: /);
  return lines[0]!;
}

function listening(): Promise<Server> {
  return new Promise((resolve) => { const server = createServer().listen(0, '127.0.0.1', () => resolve(server)); });
}

// Each case is its own child process: run them side by side.
describe.concurrent('eventrag serve at start', { timeout: 120_000 }, () => {
  it('names a port in use and how to choose another; the first start still shows the demo keys once', async () => {
    const busy = await listening();
    const port = (busy.address() as { port: number }).port;
    try {
      const outcome = await serve({ PORT: String(port), DEMO_TENANT: 'true' });
      expect(outcome.code).toBe(1);
      expect(outcome.stderr).toMatch(/admin key : er_admin_\S+/);
      expect(outcome.stderr).toMatch(/ingest key: er_ingest_\S+/);
      const keysShown = outcome.stderr.replace(/^.*(Created tenant|admin key :|ingest key:).*$/gm, '');
      const line = oneLine({ ...outcome, stderr: keysShown });
      expect(line).toContain(`port ${port} is already in use`);
      expect(line).toContain('PORT=3001 npm start');
    } finally {
      busy.close();
    }
  });

  it('names a DATA_DIR it cannot write (a file in the way)', async () => {
    const file = join(scratch, 'not-a-folder');
    writeFileSync(file, 'x');
    const outcome = await serve({ DATA_DIR: join(file, 'data') });
    expect(outcome.code).toBe(1);
    const line = oneLine(outcome);
    expect(line).toContain(`cannot write to DATA_DIR ${join(file, 'data')}`);
    expect(line).toContain('set DATA_DIR to a folder you own');
  });

  it.skipIf(process.getuid?.() === 0)('names a read-only DATA_DIR (skipped as root: root may write anywhere)', async () => {
    const readOnly = join(scratch, 'read-only');
    mkdirSync(readOnly);
    chmodSync(readOnly, 0o555);
    const outcome = await serve({ DATA_DIR: join(readOnly, 'data') });
    expect(outcome.code).toBe(1);
    expect(oneLine(outcome)).toContain('permission denied');
  });

  it('names a missing native build of better-sqlite3 and how to rebuild it', async () => {
    const outcome = await serve({ NATIVE_FAILURE: 'bindings' }, ['--require', FIXTURE]);
    expect(outcome.code).toBe(1);
    const line = oneLine(outcome);
    expect(line).toContain('better-sqlite3 has no native build for Node.js');
    expect(line).toContain('npm rebuild better-sqlite3');
  });

  it('names a native addon built for another Node.js that fails while the modules load (usearch)', async () => {
    const outcome = await serve({ NATIVE_FAILURE: 'dlopen', NATIVE_ADDON: 'usearch.node' }, ['--require', FIXTURE]);
    expect(outcome.code).toBe(1);
    const line = oneLine(outcome);
    expect(line).toContain('usearch has a native build for another Node.js or platform');
    expect(line).toContain('npm rebuild usearch');
  });

  it.each([
    ['DATABASE_URL', 'postgres://postgres:secret@127.0.0.1:1/test', 'cannot reach PostgreSQL at postgres://postgres:***@127.0.0.1:1/test', 'unset DATABASE_URL'],
    ['NATS_URL', 'nats://127.0.0.1:1', 'cannot reach NATS at nats://127.0.0.1:1', 'unset NATS_URL'],
    ['REDIS_URL', 'redis://127.0.0.1:1', 'cannot reach Redis at redis://127.0.0.1:1', 'unset REDIS_URL'],
  ])('names an unreachable %s and exits', async (setting, url, expected, fix) => {
    const outcome = await serve({ [setting]: url });
    expect(outcome.code).toBe(1);
    const line = oneLine(outcome);
    expect(line).toContain(expected);
    expect(line).toContain('connection refused');
    expect(line).toContain(fix);
    expect(line).not.toContain('secret');
  });
});

describe('explainStartupError', () => {
  it('maps the loader errors of a missing or foreign native build', () => {
    const missing = new Error('Could not locate the bindings file. Tried:\n → /app/node_modules/better-sqlite3/build/better_sqlite3.node\n → /app/node_modules/better-sqlite3/build/Release/better_sqlite3.node');
    expect(explainStartupError(missing)).toMatch(/^better-sqlite3 has no native build for Node\.js v\d+.*npm rebuild better-sqlite3/);
    const foreign = Object.assign(new Error("The module '/app/node_modules/better-sqlite3/build/Release/better_sqlite3.node'\nwas compiled against a different Node.js version using\nNODE_MODULE_VERSION 108."), { code: 'ERR_DLOPEN_FAILED' });
    expect(explainStartupError(foreign)).toContain('better-sqlite3 has a native build for another Node.js or platform');
    const elf = Object.assign(new Error('/srv/node_modules/@scope/addon/build/Release/addon.node: invalid ELF header'), { code: 'ERR_DLOPEN_FAILED' });
    expect(explainStartupError(elf)).toContain('npm rebuild @scope/addon');
  });

  it('maps listen errors, file errors and unreachable backends behind causes; leaves others alone', () => {
    const inUse = Object.assign(new Error('listen EADDRINUSE: address already in use 0.0.0.0:3000'), { code: 'EADDRINUSE', syscall: 'listen', port: 3000 });
    expect(explainStartupError(new Error('wrapped', { cause: inUse }))).toContain('port 3000 is already in use');
    const privileged = Object.assign(new Error('listen EACCES: permission denied 0.0.0.0:80'), { code: 'EACCES', syscall: 'listen', port: 80 });
    expect(explainStartupError(privileged)).toContain('use a port above 1023');
    expect(explainStartupError(Object.assign(new Error('unable to open database file'), { code: 'SQLITE_CANTOPEN' }))).toContain('make DATA_DIR writable');
    const refused = new AggregateError([Object.assign(new Error('connect ECONNREFUSED ::1:5432'), { code: 'ECONNREFUSED' })], '');
    expect(explainStartupError(new BackendUnreachableError('PostgreSQL', 'DATABASE_URL', 'postgres://localhost:5432/db', refused)))
      .toBe('cannot reach PostgreSQL at postgres://localhost:5432/db (DATABASE_URL): connection refused; start PostgreSQL or correct DATABASE_URL, or unset DATABASE_URL to use the embedded SQLite store');
    expect(explainStartupError(new Error('something else'))).toBeNull();
  });
});
