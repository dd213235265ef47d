/**
 * Runs `bin/eventrag` as child processes for multi-process tests: one-shot commands (migrate,
 * tenants, keys) and long-running servers (`serve --role api`, `worker`) on free ports. Every
 * child is tracked so `killAll()` (call it in afterAll) leaves nothing running.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createPostgresStore } from '../../src/adapters/sql/postgres.store.js';
import { createApiKey } from '../../src/identity/keys.service.js';
import type { Role } from '../../src/ports/store.port.js';
import { eventually } from './app.js';

const ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'eventrag');
const children = new Set<ChildProcess>();
const dataDirs: string[] = [];

/** A fresh DATA_DIR (embedded search files and the like), removed by `killAll()`. */
function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'eventrag-proc-'));
  dataDirs.push(dir);
  return dir;
}

/** A port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer().once('error', reject).listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/** The environment of a child: the test's settings only (no remote URLs leak in from the shell). */
export function childEnv(settings: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'warn', HOST: '127.0.0.1', DEMO_TENANT: 'false' };
  for (const name of ['DATA_DIR', 'DATABASE_URL', 'DATABASE_SCHEMA', 'NATS_URL', 'REDIS_URL', 'QDRANT_URL', 'CONFIG_FILE', 'NATS_STREAM', 'NATS_SUBJECT_PREFIX', 'REDIS_KEY_PREFIX']) {
    delete env[name];
  }
  return { ...env, ...settings };
}

/** Runs a one-shot command (`migrate`, `tenants create …`, `keys create …`); resolves with its stdout. */
export async function runCommand(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 30_000): Promise<string> {
  const { stdout } = await promisify(execFile)(process.execPath, [BIN, ...args], { cwd: ROOT, env: { DATA_DIR: dataDir(), ...env }, timeout: timeoutMs });
  return stdout.trim();
}

/**
 * Creates a tenant and one API key per role in a migrated PostgreSQL schema, in this process
 * (faster than one `eventrag tenants/keys` child each); returns the keys by role.
 */
export async function provisionTenant(connectionString: string, schema: string, slug: string, roles: Role[]): Promise<Record<string, string>> {
  const store = createPostgresStore({ connectionString, schema, maxConnections: 2 });
  try {
    const { tenant } = await store.tenants.ensure(slug);
    const keys: Record<string, string> = {};
    for (const role of roles) keys[role] = (await createApiKey(store, { tenantId: tenant.id, role, userId: role === 'member' ? 'u1' : null })).key;
    return keys;
  } finally {
    await store.close();
  }
}

export interface ServerProcess {
  readonly name: string;
  readonly port: number;
  readonly url: string;
  child: ChildProcess;
  /** The process's last 400 kB of output (logs and diagnostics). */
  output(): string;
  /** Sends `signal` and waits for the exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts the same command again on the same port; waits until /health/ready answers 200. */
  restart(): Promise<void>;
}

/** Starts `eventrag <args>` on a free PORT and waits until `/health/ready` answers 200. */
export async function startServer(name: string, args: string[], env: NodeJS.ProcessEnv, readyTimeoutMs = 30_000): Promise<ServerProcess> {
  const port = await freePort();
  const dir = dataDir();
  let log = '';
  const launch = async (): Promise<ChildProcess> => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { DATA_DIR: dir, ...env, PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    child.once('exit', () => children.delete(child));
    // The logs (pino writes to stdout) and diagnostics, the last 400 kB of both.
    for (const output of [child.stdout!, child.stderr!]) output.setEncoding('utf8').on('data', (chunk: string) => { log = (log + chunk).slice(-400_000); });
    await eventually(async () => {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${name} exited (${child.exitCode ?? child.signalCode}):\n${log}`);
      const res = await fetch(`http://127.0.0.1:${port}/health/ready`).catch(() => null);
      return res?.ok;
    }, readyTimeoutMs, 50);
    return child;
  };
  const server: ServerProcess = {
    name, port, url: `http://127.0.0.1:${port}`,
    child: await launch(),
    output: () => log,
    async kill(signal = 'SIGTERM') {
      const child = server.child;
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill(signal);
      await exited;
    },
    async restart() {
      server.child = await launch();
    },
  };
  return server;
}

/** Kills every child still running (SIGKILL) and removes their data directories; for afterAll. */
export async function killAll(): Promise<void> {
  const exits = [...children].map((child) => new Promise((resolve) => { child.once('exit', resolve); child.kill('SIGKILL'); }));
  await Promise.all(exits);
  children.clear();
  for (const dir of dataDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}
