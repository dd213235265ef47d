/** Child processes of the scale-out bench: `bin/eventrag <args>` on a free port, ready when /health/ready answers 200. */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './servers.js';

const ROOT = join(import.meta.dirname, '..', '..');
const running = new Set<ChildProcess>();
process.on('exit', () => { for (const child of running) child.kill('SIGKILL'); });

export interface Launched {
  name: string;
  url: string;
  /** SIGTERM (graceful), SIGKILL after 15 s. */
  stop(): Promise<void>;
}

function childEnv(settings: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, HOST: '127.0.0.1', LOG_LEVEL: 'warn' };
  for (const remote of ['DATABASE_URL', 'DATABASE_SCHEMA', 'NATS_URL', 'REDIS_URL', 'QDRANT_URL', 'CONFIG_FILE']) delete env[remote];
  return { ...env, ...settings };
}

/** `eventrag migrate` (every migration, the features' included). */
export async function migrate(settings: NodeJS.ProcessEnv): Promise<void> {
  await promisify(execFile)(process.execPath, [join(ROOT, 'bin', 'eventrag'), 'migrate'], { cwd: ROOT, env: childEnv(settings), timeout: 60_000 });
}

export async function launch(name: string, args: string[], settings: NodeJS.ProcessEnv): Promise<Launched> {
  const port = await freePort();
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'eventrag'), ...args], {
    cwd: ROOT, env: childEnv({ ...settings, PORT: String(port) }), stdio: ['ignore', 'ignore', 'pipe'],
  });
  running.add(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => { running.delete(child); resolve(); }));
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => { stderr = (stderr + chunk).slice(-10_000); });
  const url = `http://127.0.0.1:${port}`;
  for (const deadline = Date.now() + 40_000; ;) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}:\n${stderr}`);
    if ((await fetch(`${url}/health/ready`).catch(() => null))?.ok) break;
    if (Date.now() > deadline) { child.kill('SIGKILL'); throw new Error(`${name} did not start:\n${stderr}`); }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    name, url,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
