/**
 * Ingest benchmark (issue 2, Performance), in one run on this machine:
 *  (a) raw batched inserts of the same event rows into SQLite (the ceiling);
 *  (b) POST /v1/events/batch, 100 events per request, consumers running: events/s, p50/p99, and
 *      the time until consumer lag is zero after the load stops;
 *  (c) single-event POST /v1/events req/s against a bare Fastify route started the same way.
 * The servers run as child processes; autocannon runs in this process.
 *
 *   node --import tsx bench/ingest/run.ts [--seconds 10] [--no-write] [--profile batch|single]
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { batchBody, singleBody } from './bodies.js';
import { drain, load, type LoadResult } from './load.js';
import { topSelfTime } from './profile.js';
import { rawInserts } from './raw-sqlite.js';
import { writeFigures, type Figures } from './report.js';
import { startBare, startEventrag } from './servers.js';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '10' }, 'no-write': { type: 'boolean' }, profile: { type: 'string' } } });
const seconds = Number(values.seconds);
const WARMUP_S = 2;
const dir = mkdtempSync(join(tmpdir(), 'eventrag-bench-'));
const log = (line: string) => console.log(line);
/** When the measured load began, after the server's start and warm-up (the profile leaves that out). */
let measuredFromMs = 0;
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

async function batchPhase(dataDir: string, nodeFlags: string[] = []) {
  const started = performance.now();
  const server = await startEventrag(dataDir, nodeFlags);
  try {
    const url = `${server.url}/v1/events/batch`;
    await load(url, batchBody, 100, WARMUP_S, server.ingestKey);
    await drain(server.url, server.adminKey, dataDir);
    measuredFromMs = performance.now() - started;
    const result = await load(url, batchBody, 100, seconds, server.ingestKey);
    const lag = await drain(server.url, server.adminKey, dataDir);
    return { ...result, ...lag };
  } catch (error) {
    throw new Error(`${(error as Error).message}\nserver stderr:\n${server.stderr().slice(-3000)}`, { cause: error });
  } finally {
    await server.stop();
  }
}

async function singlePhase(dataDir: string, nodeFlags: string[] = []): Promise<LoadResult> {
  const started = performance.now();
  const server = await startEventrag(dataDir, nodeFlags);
  try {
    const url = `${server.url}/v1/events`;
    await load(url, singleBody, 1, WARMUP_S, server.ingestKey);
    measuredFromMs = performance.now() - started;
    return await load(url, singleBody, 1, seconds, server.ingestKey);
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
  const flags = ['--cpu-prof', `--cpu-prof-dir=${profDir}`];
  const result = which === 'single' ? await singlePhase(join(dir, 'server'), flags) : await batchPhase(join(dir, 'server'), flags);
  log(`profiled ${which}: ${fmt(result.eventsPerSecond)} events/s, p99 ${result.p99Ms} ms (profiler on, slower than a plain run)`);
  const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error('the server wrote no CPU profile');
  const top = topSelfTime(join(profDir, file), 25, measuredFromMs);
  log(`\nself time by package (of ${fmt(top.total / 1000)} ms on CPU after start-up and warm-up):`);
  for (const [name, micros] of top.packages.slice(0, 12)) log(`  ${((100 * micros) / top.total).toFixed(1).padStart(5)} %  ${name}`);
  log('\ntop functions by self time:');
  for (const [name, micros] of top.functions) log(`  ${((100 * micros) / top.total).toFixed(1).padStart(5)} %  ${name}`);
  log(`\nprofile kept at ${join(profDir, file)}`);
}

async function main(): Promise<void> {
  log(`eventrag ingest bench: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GB, Node ${process.version}, ${seconds} s per phase`);
  if (values.profile) return profile(values.profile);

  const rawEvents = await rawInserts(dir, seconds, false);
  log(`(a)  raw SQLite, events rows, 100/txn:         ${fmt(rawEvents.eventsPerSecond)} events/s`);
  const rawOutbox = await rawInserts(dir, seconds / 2, true);
  log(`(a') raw SQLite, events + outbox rows, 100/txn: ${fmt(rawOutbox.eventsPerSecond)} events/s`);
  const batch = await batchPhase(join(dir, 'batch'));
  log(`(b)  POST /v1/events/batch ×100:                ${fmt(batch.eventsPerSecond)} events/s, p50 ${batch.p50Ms} ms, p99 ${batch.p99Ms} ms`);
  log(`     consumer lag at stop ${fmt(batch.backlogAtStop)} deliveries → 0 in ${batch.secondsToZero.toFixed(2)} s`);
  const single = await singlePhase(join(dir, 'single'));
  const bare = await barePhase();
  log(`(c)  POST /v1/events:                           ${fmt(single.requestsPerSecond)} req/s, p50 ${single.p50Ms} ms, p99 ${single.p99Ms} ms`);
  log(`     bare Fastify route:                        ${fmt(bare.requestsPerSecond)} req/s, p50 ${bare.p50Ms} ms, p99 ${bare.p99Ms} ms`);

  const figures: Figures = { date: new Date(), seconds, rawEvents, rawOutbox, batch, single, bare };
  const batchRatio = batch.eventsPerSecond / rawEvents.eventsPerSecond;
  const singleRatio = single.requestsPerSecond / bare.requestsPerSecond;
  log(`\nratios: (b)/(a) = ${batchRatio.toFixed(2)} (goal ≥ 0.6), (b)/(a') = ${(batch.eventsPerSecond / rawOutbox.eventsPerSecond).toFixed(2)}, `
    + `lag → 0 in ${batch.secondsToZero.toFixed(2)} s (goal ≤ 5 s), (c) = ${singleRatio.toFixed(2)} (goal ≥ 0.5)`);
  if (!values['no-write']) log(`written to ${writeFigures(figures)}`);
}

try {
  await main();
} finally {
  if (!values.profile) rmSync(dir, { recursive: true, force: true }); // a profile stays for a closer look
}
