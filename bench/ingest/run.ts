/**
 * Ingest benchmark (issues 2 and 8, Performance), in one run on this machine:
 *  (a) raw batched inserts of the same event rows into SQLite (the ceiling);
 *  (b) POST /v1/events/batch, 100 events per request, with N durable consumers on `*` (the real
 *      `stats` plus N−1 synthetic per-user count projections): events/s, p50/p99, the time until
 *      every consumer's lag is zero after the load stops, and the SQLite writes per event;
 *  (c) single-event POST /v1/events req/s against a bare Fastify route started the same way.
 * Each N in --consumers runs in the same invocation. With --before SCRIPT the same phases also run
 * against another checkout's bench server (the previous release), back to back with this one.
 * The servers run as child processes; autocannon runs in this process.
 *
 *   node --import tsx bench/ingest/run.ts [--consumers 1,6] [--seconds 10] [--load-seconds 15]
 *     [--before /path/to/other/bench-server.ts] [--json out.json] [--no-write] [--profile batch|single]
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { batchBody, singleBody } from './bodies.js';
import { drain, load, type LoadResult } from './load.js';
import { topSelfTime } from './profile.js';
import { rawInserts } from './raw-sqlite.js';
import { perEvent, timeDelta, writeFigures, type Figures, type Measured, type Release } from './report.js';
import { startBare, startEventrag, type ServerOptions } from './servers.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' }, 'load-seconds': { type: 'string', default: '15' }, consumers: { type: 'string', default: '1,6' },
    before: { type: 'string' }, json: { type: 'string' }, 'no-write': { type: 'boolean' }, profile: { type: 'string' },
  },
});
const seconds = Number(values.seconds);
const loadSeconds = Number(values['load-seconds']);
const consumerCounts = values.consumers.split(',').map(Number);
const WARMUP_S = 2;
const SCRIPT = join(import.meta.dirname, 'bench-server.ts');
const dir = mkdtempSync(join(tmpdir(), 'eventrag-bench-'));
const log = (line: string) => console.log(line);
/** When the measured load began, after the server's start and warm-up (the profile leaves that out). */
let measuredFromMs = 0;
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

async function batchPhase(dataDir: string, options: ServerOptions): Promise<Measured> {
  const started = performance.now();
  const server = await startEventrag(dataDir, options);
  try {
    const url = `${server.url}/v1/events/batch`;
    await load(url, batchBody, 100, WARMUP_S, server.ingestKey);
    await drain(server.url, server.adminKey, dataDir);
    const before = await server.writes();
    measuredFromMs = performance.now() - started;
    const result = await load(url, batchBody, 100, loadSeconds, server.ingestKey);
    const lag = await drain(server.url, server.adminKey, dataDir);
    const after = await server.writes();
    return { ...result, ...lag, writes: perEvent(before, after, result.requests * 100), sqliteTime: timeDelta(before, after) };
  } catch (error) {
    throw new Error(`${(error as Error).message}\nserver stderr:\n${server.stderr().slice(-3000)}`, { cause: error });
  } finally {
    await server.stop();
  }
}

async function singlePhase(dataDir: string, options: ServerOptions): Promise<Measured> {
  const started = performance.now();
  const server = await startEventrag(dataDir, options);
  try {
    const url = `${server.url}/v1/events`;
    await load(url, singleBody, 1, WARMUP_S, server.ingestKey);
    await drain(server.url, server.adminKey, dataDir);
    const before = await server.writes();
    measuredFromMs = performance.now() - started;
    const result = await load(url, singleBody, 1, seconds, server.ingestKey);
    const lag = await drain(server.url, server.adminKey, dataDir);
    const after = await server.writes();
    return { ...result, ...lag, writes: perEvent(before, after, result.requests), sqliteTime: timeDelta(before, after) };
  } catch (error) {
    throw new Error(`${(error as Error).message}\nserver stderr:\n${server.stderr().slice(-3000)}`, { cause: error });
  } finally {
    await server.stop();
  }
}

async function barePhase(): Promise<LoadResult> {
  const bare = await startBare();
  try {
    await load(`${bare.url}/v1/events`, singleBody, 1, WARMUP_S);
    return await load(`${bare.url}/v1/events`, singleBody, 1, seconds);
  } finally {
    await bare.stop();
  }
}

async function profile(which: string): Promise<void> {
  const profDir = join(dir, 'profile');
  const options: ServerOptions = { script: SCRIPT, consumers: consumerCounts[0], nodeFlags: ['--cpu-prof', `--cpu-prof-dir=${profDir}`] };
  const result = which === 'single' ? await singlePhase(join(dir, 'server'), options) : await batchPhase(join(dir, 'server'), options);
  log(`profiled ${which}, N = ${options.consumers}: ${fmt(result.eventsPerSecond)} events/s, p99 ${result.p99Ms} ms, lag → 0 in ${result.secondsToZero.toFixed(2)} s (profiler on, slower than a plain run)`);
  const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error('the server wrote no CPU profile');
  const top = topSelfTime(join(profDir, file), 25, measuredFromMs);
  log(`\nself time by package (of ${fmt(top.total / 1000)} ms on CPU after start-up and warm-up):`);
  for (const [name, micros] of top.packages.slice(0, 12)) log(`  ${((100 * micros) / top.total).toFixed(1).padStart(5)} %  ${name}`);
  log('\ntop functions by self time:');
  for (const [name, micros] of top.functions) log(`  ${((100 * micros) / top.total).toFixed(1).padStart(5)} %  ${name}`);
  log(`\nprofile kept at ${join(profDir, file)}`);
}

function logMeasured(label: string, m: Measured): void {
  const w = m.writes;
  log(`${label}: ${fmt(m.eventsPerSecond)} events/s (${fmt(m.requestsPerSecond)} req/s), p50 ${m.p50Ms} ms, p99 ${m.p99Ms} ms; `
    + `lag ${fmt(m.backlogAtStop)} → 0 in ${m.secondsToZero.toFixed(2)} s`);
  if (w) log(`     per event: ${w.statements.toFixed(2)} write statements, ${w.rowsChanged.toFixed(2)} rows, ${w.commits.toFixed(3)} commits, ${w.diskPages.toFixed(2)} pages to disk`);
  const total = (m.sqliteTime ?? []).reduce((sum, t) => sum + t.ms, 0);
  for (const t of (m.sqliteTime ?? []).slice(0, 6)) log(`     ${fmt(t.ms).padStart(6)} ms in SQLite (${(100 * t.ms / total).toFixed(0)} % of the top 10), ${fmt(t.calls)} calls: ${t.sql.replace(/\s+/g, ' ').slice(0, 110)}`);
}

async function main(): Promise<void> {
  log(`eventrag ingest bench: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GB, Node ${process.version}; `
    + `batch load ${loadSeconds} s, other phases ${seconds} s; N = ${consumerCounts.join(', ')}`);
  if (values.profile) return profile(values.profile);

  // The baselines run again before each N's phases, so each ratio has one measured next to it
  // (on a shared machine the load moves between phases).
  const baselines: Figures['baselines'] = [];
  const releases: Array<[Release, string]> = [...(values.before ? [['before', values.before] as [Release, string]] : []), ['after', SCRIPT]];
  const runs: Figures['runs'] = [];
  for (const consumers of consumerCounts) {
    const raw = await rawInserts(mkdtempSync(join(dir, 'raw-')), seconds);
    log(`(a)  raw SQLite, events rows, 100/txn: ${fmt(raw.eventsPerSecond)} events/s`);
    for (const [release, script] of releases) {
      const batch = await batchPhase(join(dir, `batch-${release}-${consumers}`), { script, consumers });
      logMeasured(`(b)  ${release}, N = ${consumers}, POST /v1/events/batch ×100`, batch);
      runs.push({ release, consumers, phase: 'batch', ...batch });
    }
    const bare = await barePhase();
    log(`(c0) bare Fastify route: ${fmt(bare.requestsPerSecond)} req/s, p50 ${bare.p50Ms} ms, p99 ${bare.p99Ms} ms`);
    baselines.push({ consumers, raw, bare });
    for (const [release, script] of releases) {
      const single = await singlePhase(join(dir, `single-${release}-${consumers}`), { script, consumers });
      logMeasured(`(c)  ${release}, N = ${consumers}, POST /v1/events`, single);
      runs.push({ release, consumers, phase: 'single', ...single });
    }
  }
  const figures: Figures = { date: new Date(), seconds, loadSeconds, baselines, runs, loadAverage: loadavg() };
  for (const r of runs) {
    const { raw, bare } = baselines.find((b) => b.consumers === r.consumers)!;
    const ratio = r.phase === 'batch' ? r.eventsPerSecond / raw.eventsPerSecond : r.requestsPerSecond / bare.requestsPerSecond;
    log(`ratio ${r.release} N = ${r.consumers} ${r.phase === 'batch' ? '(b)/(a)' : '(c)/bare'} = ${ratio.toFixed(2)}${r.phase === 'batch' ? `, lag → 0 in ${r.secondsToZero.toFixed(2)} s` : ''}`);
  }
  if (values.json) writeFileSync(values.json, JSON.stringify(figures, null, 2));
  if (!values['no-write']) log(`written to ${writeFigures(figures)}`);
}

try {
  await main();
} finally {
  if (!values.profile) rmSync(dir, { recursive: true, force: true }); // a profile stays for a closer look
}
