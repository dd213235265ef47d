/** Child processes of the scale-out bench: `bin/eventrag <args>` on a free port, ready when /health/ready answers 200. */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startChild } from './servers.js';

const ROOT = join(import.meta.dirname, '..', '..');

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

/** `bin/eventrag <args>`, or with `script` (a bench server) `node --import tsx <script> <args>`. */
export async function launch(name: string, args: string[], settings: NodeJS.ProcessEnv, script?: string): Promise<Launched> {
  const command = script ? ['--import', 'tsx', script, ...args] : [join(ROOT, 'bin', 'eventrag'), ...args];
  const child = await startChild(command, childEnv(settings), '/health/ready');
  return { name, url: child.url, stop: child.stop };
}
