/** Child processes for the bench: the real server (`bin/eventrag serve`) and the bare Fastify baseline. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { SqliteWrites } from './sqlite-writes.js';

const ROOT = join(import.meta.dirname, '..', '..');

export interface Child {
  url: string;
  stderr(): string;
  /** SIGTERM (the server shuts down gracefully and writes its CPU profile), SIGKILL after 15 s. */
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
/** Last resort on an unexpected exit of the bench: leave nothing running. */
process.on('exit', () => { for (const child of running) child.kill('SIGKILL'); });

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer().once('error', reject).listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/**
 * Spawns `node <args>` on a free PORT and waits until `readyPath` answers (a /health path must
 * answer 200; any other path just has to answer). Shared by the ingest and scale-out benches.
 */
export async function startChild(args: string[], env: NodeJS.ProcessEnv, readyPath: string): Promise<Child> {
  const port = await freePort();
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...env, PORT: String(port) }, stdio: ['ignore', 'ignore', 'pipe'] });
  running.add(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => { running.delete(child); resolve(); }));
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk; });
  const url = `http://127.0.0.1:${port}`;
  for (const deadline = Date.now() + 40_000; ;) {
    if (child.exitCode !== null) throw new Error(`${args.join(' ')} exited with ${child.exitCode}:\n${stderr}`);
    const health = readyPath.startsWith('/health');
    if (await fetch(`${url}${readyPath}`, { method: health ? 'GET' : 'POST' }).then((res) => !health || res.ok, () => false)) break;
    if (Date.now() > deadline) { child.kill('SIGKILL'); throw new Error(`${args.join(' ')} did not start:\n${stderr}`); }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url,
    stderr: () => stderr,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

export interface EventragServer extends Child {
  adminKey: string;
  ingestKey: string;
  /** The server's SQLite writes so far (bench-server only, else null). */
  writes(): Promise<SqliteWrites | null>;
}

export interface ServerOptions {
  /** Extra node flags, e.g. --cpu-prof. */
  nodeFlags?: string[];
  /**
   * A bench server script (bench/ingest/bench-server.ts, or the same for another checkout) run
   * with `--consumers N`; without it, `bin/eventrag serve`.
   */
  script?: string;
  consumers?: number;
}

/** The real server on a fresh DATA_DIR, all consumers running. */
export async function startEventrag(dataDir: string, options: ServerOptions = {}): Promise<EventragServer> {
  const env: NodeJS.ProcessEnv = {
    ...process.env, DATA_DIR: dataDir, HOST: '127.0.0.1', LOG_LEVEL: 'warn',
    // The rate limiter stays on, with limits the load cannot reach (the defaults would answer 429).
    RATE_LIMIT_PER_MINUTE: '100000000', TENANT_RATE_LIMIT_PER_MINUTE: '100000000',
  };
  for (const remote of ['DATABASE_URL', 'NATS_URL', 'REDIS_URL', 'QDRANT_URL', 'CONFIG_FILE']) delete env[remote];
  const statsPort = options.script ? await freePort() : null;
  const args = options.script
    ? ['--import', 'tsx', options.script, '--consumers', String(options.consumers ?? 1), '--stats-port', String(statsPort)]
    : [join(ROOT, 'bin', 'eventrag'), 'serve'];
  const child = await startChild([...(options.nodeFlags ?? []), ...args], env, '/health/ready');
  const adminKey = /admin key : (\S+)/.exec(child.stderr())?.[1];
  const ingestKey = /ingest key: (\S+)/.exec(child.stderr())?.[1];
  if (!adminKey || !ingestKey) { await child.stop(); throw new Error(`no demo keys on stderr:\n${child.stderr()}`); }
  const writes = async () => (statsPort === null ? null : await (await fetch(`http://127.0.0.1:${statsPort}/`)).json() as SqliteWrites);
  return { ...child, adminKey, ingestKey, writes };
}

/** The bare Fastify route, started the same way (node + tsx loader). */
export function startBare(): Promise<Child> {
  return startChild(['--import', 'tsx', join(ROOT, 'bench', 'ingest', 'bare-server.ts')], { ...process.env }, '/v1/events');
}
