/**
 * The analytics bench's server: `bin/eventrag serve` on a DATA_DIR (SQLite, everything in one
 * process, as `npm start` runs it), or bench/ingest/bench-server.ts (the same server, plus the time
 * spent in SQLite per statement on a stats port) for the profile. The demo keys are printed on
 * the first start only, so they are kept in the data directory for the runs that reuse it.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, startChild, type Child } from '../ingest/servers.js';
import type { StatementTime } from '../ingest/sqlite-writes.js';

const ROOT = join(import.meta.dirname, '..', '..');
const KEYS_FILE = 'bench-keys.json';

export interface AnalyticsServer extends Child {
  adminKey: string;
  ingestKey: string;
  /** Time in SQLite per statement so far (instrumented server only, else null). */
  sqliteTime(): Promise<StatementTime[] | null>;
}

export interface StartOptions {
  /** Write a CPU profile into this directory (written when the server stops). */
  cpuProfileDir?: string;
  /** Run bench/ingest/bench-server.ts (one consumer set, as serve) and answer SQLite times. */
  instrumented?: boolean;
  /** The checkout whose server runs (default: this one), e.g. a snapshot of a commit. */
  root?: string;
}

export async function startServer(dataDir: string, options: StartOptions = {}): Promise<AnalyticsServer> {
  const env: NodeJS.ProcessEnv = {
    ...process.env, DATA_DIR: dataDir, HOST: '127.0.0.1', LOG_LEVEL: 'warn',
    // The rate limiter stays on, with limits the load cannot reach (the defaults would answer 429).
    RATE_LIMIT_PER_MINUTE: '100000000', TENANT_RATE_LIMIT_PER_MINUTE: '100000000',
  };
  for (const remote of ['DATABASE_URL', 'NATS_URL', 'REDIS_URL', 'QDRANT_URL', 'CONFIG_FILE']) delete env[remote];
  const statsPort = options.instrumented ? await freePort() : null;
  const root = options.root ?? ROOT;
  const script = options.instrumented
    ? ['--import', 'tsx', join(root, 'bench', 'ingest', 'bench-server.ts'), '--consumers', '1', '--stats-port', String(statsPort)]
    : [join(root, 'bin', 'eventrag'), 'serve'];
  const flags = options.cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`] : [];
  const child = await startChild([...flags, ...script], env, '/health/ready');
  const keysPath = join(dataDir, KEYS_FILE);
  let keys: { adminKey: string; ingestKey: string } | null = null;
  const adminKey = /admin key : (\S+)/.exec(child.stderr())?.[1];
  const ingestKey = /ingest key: (\S+)/.exec(child.stderr())?.[1];
  if (adminKey && ingestKey) {
    keys = { adminKey, ingestKey };
    writeFileSync(keysPath, JSON.stringify(keys));
  } else if (existsSync(keysPath)) {
    keys = JSON.parse(readFileSync(keysPath, 'utf8')) as { adminKey: string; ingestKey: string };
  }
  if (!keys) { await child.stop(); throw new Error(`no demo keys on stderr and no ${keysPath}:\n${child.stderr()}`); }
  const sqliteTime = async () => (statsPort === null ? null : ((await (await fetch(`http://127.0.0.1:${statsPort}/`)).json()) as { time: StatementTime[] }).time);
  return { ...child, ...keys, sqliteTime };
}
