/**
 * Analytics benchmark (issue 9, Performance), in one run on this machine:
 *  1. a seeded log (bench/analytics/generate.ts: PEOPLE persons, EVENTS events over DAYS days
 *     ending now) sent in time order through POST /v1/events/batch (and the Segment /v1/batch
 *     for the anonymous starts) at full speed from C connections, while `GET /v1/consumers` is
 *     sampled every second; then the time until each consumer's lag is back to zero;
 *  2. every analytics endpoint's latency over HTTP, a random person (or a rotating definition)
 *     per request, one connection and then 8: p50/p95/p99 against its goal. A route the server
 *     does not have (404 ROUTE_NOT_FOUND) is reported as not present;
 *  3. with --profile, the slowest endpoint (or the one named) again under `node --cpu-prof` on
 *     the instrumented bench server: self and inclusive time per function, SQLite time per statement.
 * The server is `bin/eventrag serve` on SQLite in a child process; the data directory is deleted
 * at the end unless --reuse DIR names it (then a second run with the same DIR skips the load).
 *
 *   PEOPLE=20000 EVENTS=1000000 DAYS=60 node --import tsx bench/analytics/run.ts [--reuse DIR]
 *     [--seed 1] [--connections 10] [--batch 100] [--concurrency 1,8] [--tenant-concurrency 1,8] [--only funnels,sessions]
 *     [--user-requests 400] [--tenant-requests 40] [--seconds 15] [--tenant-seconds 30]
 *     [--profile slowest|<endpoint>|load] [--load-deadline S] [--waves K] [--backbone] [--root CHECKOUT] [--json out.json] [--no-write]
 *   node --import tsx bench/analytics/run.ts --write-from out.json   (the BENCHMARKS.md block from a saved run)
 * --load-deadline S stops sending after S seconds (what was sent is measured, and reported so); with
 * --waves K the log is sent as K groups of persons one after the other (each in time order), so
 * that a load stopped early holds whole persons over the whole period.
 * --root runs another checkout's server (e.g. `git archive` of a commit with node_modules linked).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { topSelfTime } from '../ingest/profile.js';
import type { StatementTime } from '../ingest/sqlite-writes.js';
import { endpoints, type Endpoint } from './endpoints.js';
import { generateAnalyticsLog, inWaves, requestsOf } from './generate.js';
import { call, sample, sendAll, type Distribution, type Sampled } from './http.js';
import { inclusiveTime } from './profile.js';
import { writeFigures, type Figures, type ConsumerDrain, type EndpointFigures, type ProfileFigures } from './report.js';
import { startServer, type AnalyticsServer } from './server.js';

const { values } = parseArgs({
  options: {
    people: { type: 'string', default: process.env.PEOPLE ?? '20000' },
    events: { type: 'string', default: process.env.EVENTS ?? '1000000' },
    days: { type: 'string', default: process.env.DAYS ?? '60' },
    seed: { type: 'string', default: '1' },
    reuse: { type: 'string' },
    connections: { type: 'string', default: '10' },
    batch: { type: 'string', default: '100' },
    concurrency: { type: 'string', default: '1,8' },
    'tenant-concurrency': { type: 'string' },
    only: { type: 'string' },
    'user-requests': { type: 'string', default: '400' },
    'tenant-requests': { type: 'string', default: '40' },
    seconds: { type: 'string', default: '15' },
    'tenant-seconds': { type: 'string', default: '30' },
    profile: { type: 'string' },
    'load-deadline': { type: 'string' },
    waves: { type: 'string', default: '1' },
    root: { type: 'string' },
    backbone: { type: 'boolean' },
    json: { type: 'string' },
    'write-from': { type: 'string' },
    'no-write': { type: 'boolean' },
  },
});
// A signal ends the run through process.exit, so the server children are killed (bench/ingest/servers.ts).
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => process.exit(130));
const log = (line: string) => console.log(line);
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const ms = (n: number) => (Number.isFinite(n) ? (n < 10 ? n.toFixed(1) : Math.round(n).toString()) : '–');
const sleep = (msec: number) => new Promise((resolve) => setTimeout(resolve, msec));
const META = 'bench-analytics.json';

interface ConsumerRow { name: string; lagEvents: number; dead?: number }

async function consumers(server: AnalyticsServer): Promise<ConsumerRow[]> {
  const answer = await call(server.url, 'GET', '/v1/consumers', server.adminKey);
  if (answer.status !== 200) throw new Error(`GET /v1/consumers: ${answer.status} ${answer.body.slice(0, 300)}`);
  return (JSON.parse(answer.body) as { items: ConsumerRow[] }).items;
}

/**
 * Polls the consumers every 100 ms until every lag is zero: per consumer, its lag at the first
 * poll and the time (from `since`) after which it stayed at zero.
 */
async function drain(server: AnalyticsServer, since: number, timeoutMs = 300_000): Promise<ConsumerDrain[]> {
  const atStop = new Map<string, number>();
  const zeroSince = new Map<string, number | null>();
  for (;;) {
    const now = performance.now();
    const items = await consumers(server);
    for (const c of items) {
      if (!atStop.has(c.name)) atStop.set(c.name, c.lagEvents);
      if (c.lagEvents === 0) { if ((zeroSince.get(c.name) ?? null) === null) zeroSince.set(c.name, now); } else zeroSince.set(c.name, null);
    }
    if (items.every((c) => c.lagEvents === 0)) {
      const dead = items.reduce((sum, c) => sum + (c.dead ?? 0), 0);
      if (dead > 0) log(`warning: ${dead} dead deliveries after the load`);
      return items.map((c) => ({ name: c.name, lagAtStop: atStop.get(c.name) ?? 0, secondsToZero: Math.max(0, ((zeroSince.get(c.name) ?? now) - since) / 1000), maxLagDuringLoad: 0, dead: c.dead ?? 0 }));
    }
    if (now - since > timeoutMs) throw new Error(`consumer lag not zero after ${timeoutMs / 1000} s: ${items.filter((c) => c.lagEvents > 0).map((c) => `${c.name} ${c.lagEvents}`).join(', ')}`);
    await sleep(100);
  }
}

interface Meta { options: Figures['log']; load: Figures['load']; drains: ConsumerDrain[]; userIds: string[]; backbone: Figures['backbone'] }

async function loadLog(server: AnalyticsServer, dataDir: string, back: Figures['backbone']): Promise<Meta> {
  const generated = performance.now();
  const generatedLog = generateAnalyticsLog({ people: Number(values.people), events: Number(values.events), days: Number(values.days), seed: Number(values.seed) });
  const requests = inWaves(generatedLog.events, Number(values.waves)).flatMap((wave) => requestsOf(wave, Number(values.batch)));
  const generateSeconds = (performance.now() - generated) / 1000;
  const counts = generatedLog.persons.map((p) => p.events).sort((a, b) => a - b);
  const segmentEvents = generatedLog.events.filter((e) => e.wire === 'segment').length;
  const options: Figures['log'] = {
    people: generatedLog.options.people, events: generatedLog.events.length, days: generatedLog.options.days, seed: generatedLog.options.seed,
    end: new Date(generatedLog.options.end).toISOString(), sessions: generatedLog.sessions, anonymousPersons: generatedLog.anonymousPersons, segmentEvents,
    eventsPerPerson: { p50: counts[Math.floor(counts.length / 2)]!, p99: counts[Math.floor(counts.length * 0.99)]!, max: counts[counts.length - 1]! },
    requests: requests.length, generateSeconds, waves: Number(values.waves),
  };
  log(`log: ${fmt(options.events)} events (${fmt(segmentEvents)} through Segment) of ${fmt(options.people)} persons (${fmt(options.anonymousPersons)} starting anonymous), `
    + `${fmt(options.sessions)} sessions over ${options.days} days to ${options.end}; events per person p50 ${options.eventsPerPerson.p50}, p99 ${options.eventsPerPerson.p99}, max ${options.eventsPerPerson.max}; `
    + `${fmt(requests.length)} requests; generated in ${generateSeconds.toFixed(1)} s`);

  const connections = Number(values.connections);
  let sent = 0;
  const maxLag = new Map<string, number>();
  const timeline: Array<{ seconds: number; sent: number; lag: number }> = [];
  let loading = true;
  const started = performance.now();
  const sampler = (async () => {
    while (loading) {
      await sleep(1000);
      if (!loading) break;
      const items = await consumers(server);
      for (const c of items) maxLag.set(c.name, Math.max(maxLag.get(c.name) ?? 0, c.lagEvents));
      const lag = Math.max(0, ...items.map((c) => c.lagEvents));
      timeline.push({ seconds: (performance.now() - started) / 1000, sent, lag });
      if (timeline.length % 10 === 0) log(`  ${timeline.at(-1)!.seconds.toFixed(0)} s: ${fmt(sent)} events sent, largest consumer lag ${fmt(lag)}`);
    }
  })();
  let outcome;
  try {
    outcome = await sendAll(server.url, server.ingestKey, requests, connections, (n) => { sent = n; }, Number(values['load-deadline'] ?? Number.POSITIVE_INFINITY));
  } finally {
    loading = false;
  }
  const loadEnd = performance.now();
  const drained = await drain(server, loadEnd); // the sampler may be asleep: it is awaited after
  await sampler;
  if (outcome.rejected > 0) log(`warning: ${outcome.rejected} events rejected, the first: ${outcome.firstRejection}`);
  const drains = drained.map((d) => ({ ...d, maxLagDuringLoad: maxLag.get(d.name) ?? 0 }));
  // Ingest rate over each quarter of the load (does it slow down as the log grows?).
  const quarters = [0.25, 0.5, 0.75, 1].map((q, i, all) => {
    const from = i === 0 ? { seconds: 0, sent: 0 } : timeline[Math.min(timeline.length - 1, Math.floor(timeline.length * all[i - 1]!))] ?? { seconds: 0, sent: 0 };
    const to = i === all.length - 1 ? { seconds: outcome.seconds, sent: outcome.events } : timeline[Math.min(timeline.length - 1, Math.floor(timeline.length * q))] ?? { seconds: outcome.seconds, sent: outcome.events };
    return (to.sent - from.sent) / Math.max(1e-9, to.seconds - from.seconds);
  });
  const load: Figures['load'] = {
    seconds: outcome.seconds, events: outcome.events, requests: outcome.requests, rejected: outcome.rejected, eventsPerSecond: outcome.events / outcome.seconds,
    connections, batch: Number(values.batch), requestP50Ms: outcome.latency.p50, requestP99Ms: outcome.latency.p99, quarters, timeline,
  };
  log(`load: ${fmt(load.eventsPerSecond)} events/s over ${load.seconds.toFixed(1)} s (${connections} connections × ${load.batch} events per request; request p50 ${ms(load.requestP50Ms)} ms, p99 ${ms(load.requestP99Ms)} ms); `
    + `by quarter ${quarters.map(fmt).join(' / ')} events/s`);
  for (const d of drains) log(`  ${d.name.padEnd(24)} max lag during load ${fmt(d.maxLagDuringLoad).padStart(9)}, at stop ${fmt(d.lagAtStop).padStart(9)} → 0 in ${d.secondsToZero.toFixed(2)} s`);
  let userIds = generatedLog.persons.map((p) => p.userId);
  if (outcome.requests < requests.length) {
    // The deadline stopped the load: the log up to some time is in, and the persons who have events in it.
    const present = new Set<string>();
    for (const r of requests.slice(0, outcome.requests)) {
      const body = JSON.parse(r.body) as Array<{ userId?: string }> | { batch: Array<{ userId?: string }> };
      for (const e of Array.isArray(body) ? body : body.batch) if (e.userId) present.add(e.userId);
    }
    userIds = userIds.filter((u) => present.has(u));
    log(`the load stopped at its deadline: ${fmt(outcome.events)} of ${fmt(options.events)} events sent, ${fmt(userIds.length)} persons with events`);
    options.truncatedTo = { events: outcome.events, people: userIds.length };
  }
  const meta: Meta = { options, load, drains, userIds, backbone: back };
  writeFileSync(join(dataDir, META), JSON.stringify(meta));
  return meta;
}

const ROUTE_NOT_FOUND = 'ROUTE_NOT_FOUND';

async function measure(server: AnalyticsServer, endpoint: Endpoint): Promise<EndpointFigures> {
  const base: EndpointFigures = { name: endpoint.name, scope: endpoint.scope, goalP95Ms: endpoint.goalP95Ms, present: true, firstMs: null, firstStatus: null, runs: [] };
  const probePath = endpoint.path();
  const probe = await call(server.url, 'GET', probePath, server.adminKey);
  if (probe.status === 404 && probe.body.includes(ROUTE_NOT_FOUND)) {
    log(`${endpoint.name.padEnd(12)} not present (404 route not found)`);
    return { ...base, present: false };
  }
  base.firstMs = probe.ms;
  base.firstStatus = probe.status;
  if (probe.status >= 300) log(`${endpoint.name.padEnd(12)} first answer ${probe.status}: ${probe.body.slice(0, 300)}`);
  const user = endpoint.scope === 'user';
  for (let i = 0; i < (user ? 10 : 2); i += 1) await call(server.url, 'GET', endpoint.path(), server.adminKey);
  for (const concurrency of (user ? values.concurrency : values['tenant-concurrency'] ?? values.concurrency).split(',').map(Number)) {
    const maxRequests = Number(user ? values['user-requests'] : values['tenant-requests']) * (concurrency > 1 ? 2 : 1);
    const result: Sampled = await sample(server.url, server.adminKey, endpoint.path, concurrency, maxRequests, Number(user ? values.seconds : values['tenant-seconds']));
    base.runs.push({ concurrency, ...result });
    const ok = Object.entries(result.statuses).filter(([s]) => Number(s) < 300).reduce((a, [, n]) => a + n, 0) + result.notFound;
    log(`${endpoint.name.padEnd(12)} c=${concurrency}: p50 ${ms(result.p50)} ms, p95 ${ms(result.p95)} ms, p99 ${ms(result.p99)} ms, max ${ms(result.max)} ms `
      + `(${result.n} requests in ${result.seconds.toFixed(1)} s, ${ok - result.notFound} 2xx${result.notFound > 0 ? `, ${result.notFound} 404 not found` : ''}${result.firstError ? `; first error: ${result.firstError}` : ''}) `
      + `goal p95 < ${endpoint.goalP95Ms} ms: ${result.p95 < endpoint.goalP95Ms && ok === result.n ? 'met' : 'MISSED'}`);
  }
  return base;
}

/** Self and inclusive time from `skipMs` on, and the SQLite time per statement between the two readings. */
function summarise(path: string, skipMs: number, sqlBefore: StatementTime[] | null, sqlAfter: StatementTime[] | null,
  what: Pick<ProfileFigures, 'target' | 'requests' | 'p50' | 'p95'>): ProfileFigures {
  const self = topSelfTime(path, 15, skipMs);
  const inclusive = inclusiveTime(path, skipMs, 15);
  const earlier = new Map((sqlBefore ?? []).map((t) => [t.sql, t]));
  const sql = (sqlAfter ?? []).map((t) => ({ sql: t.sql, calls: t.calls - (earlier.get(t.sql)?.calls ?? 0), ms: t.ms - (earlier.get(t.sql)?.ms ?? 0) }))
    .filter((t) => t.calls > 0).sort((a, b) => b.ms - a.ms).slice(0, 8);
  const figures: ProfileFigures = {
    ...what, cpuMs: self.total / 1000,
    packages: self.packages.slice(0, 8).map(([name, micros]) => ({ name, share: micros / self.total })),
    self: self.functions.slice(0, 15).map(([name, micros]) => ({ name, share: micros / self.total })),
    inclusive: inclusive.functions.slice(0, 15).map(([name, micros]) => ({ name, share: micros / inclusive.total })),
    sql, file: path,
  };
  log(`\nprofile of ${what.target} (${what.requests} requests, p50 ${ms(what.p50)} ms, p95 ${ms(what.p95)} ms under the profiler; ${fmt(figures.cpuMs)} ms on CPU):`);
  log('self time by package:');
  for (const p of figures.packages) log(`  ${(100 * p.share).toFixed(1).padStart(5)} %  ${p.name}`);
  log('top functions by self time:');
  for (const f of figures.self) log(`  ${(100 * f.share).toFixed(1).padStart(5)} %  ${f.name}`);
  log('eventrag functions by inclusive time:');
  for (const f of figures.inclusive) log(`  ${(100 * f.share).toFixed(1).padStart(5)} %  ${f.name}`);
  log('time in SQLite per statement:');
  for (const t of sql) log(`  ${fmt(t.ms).padStart(7)} ms, ${fmt(t.calls)} calls: ${t.sql.replace(/\s+/g, ' ').slice(0, 160)}`);
  log(`profile kept at ${path}`);
  return figures;
}

function profileDir(dataDir: string): string {
  const dir = join(dataDir, 'profile');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return dir;
}

function profileFile(dir: string): string {
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error('the server wrote no CPU profile');
  return join(dir, file);
}

const rootOption = () => (values.root ? { root: values.root } : {});

async function profileEndpoint(dataDir: string, endpoint: Endpoint): Promise<ProfileFigures> {
  const dir = profileDir(dataDir);
  const started = performance.now();
  const server = await startServer(dataDir, { cpuProfileDir: dir, instrumented: true, ...rootOption() });
  let result: Distribution;
  let sqlBefore: StatementTime[] | null;
  let sqlAfter: StatementTime[] | null;
  let skipMs: number;
  try {
    await drain(server, performance.now());
    const user = endpoint.scope === 'user';
    for (let i = 0; i < (user ? 10 : 2); i += 1) await call(server.url, 'GET', endpoint.path(), server.adminKey);
    sqlBefore = await server.sqliteTime();
    skipMs = performance.now() - started;
    result = await sample(server.url, server.adminKey, endpoint.path, 1, Number(user ? values['user-requests'] : values['tenant-requests']), Number(user ? values.seconds : values['tenant-seconds']));
    sqlAfter = await server.sqliteTime();
  } finally {
    await server.stop();
  }
  return summarise(profileFile(dir), skipMs, sqlBefore, sqlAfter, { target: `${endpoint.name}, one request at a time`, requests: result.n, p50: result.p50, p95: result.p95 });
}

/** --profile load: the load under the profiler (instrumented server), then stop; no endpoint figures. */
async function profileLoad(dataDir: string): Promise<void> {
  const dir = profileDir(dataDir);
  const started = performance.now();
  const server = await startServer(dataDir, { cpuProfileDir: dir, instrumented: true, ...rootOption() });
  let meta: Meta;
  let sqlBefore: StatementTime[] | null;
  let sqlAfter: StatementTime[] | null;
  let skipMs: number;
  try {
    sqlBefore = await server.sqliteTime();
    skipMs = performance.now() - started;
    meta = await loadLog(server, dataDir, null);
    sqlAfter = await server.sqliteTime();
  } finally {
    await server.stop();
  }
  summarise(profileFile(dir), skipMs, sqlBefore, sqlAfter, { target: 'the load and the drain', requests: meta.options.requests, p50: meta.load.requestP50Ms, p95: meta.load.requestP99Ms });
}

/** The backbone's batch phase (bench/ingest/run.ts, N = 1) in this run, for the load rate's comparison. */
function backbone(): Figures['backbone'] {
  const out = join(tmpdir(), `eventrag-bench-backbone-${process.pid}.json`);
  const root = values.root ?? join(import.meta.dirname, '..', '..');
  const run = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'bench', 'ingest', 'run.ts'), '--consumers', '1', '--no-write', '--json', out],
    { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  if (run.status !== 0 || !existsSync(out)) throw new Error(`the backbone bench failed (${run.status})`);
  const figures = JSON.parse(readFileSync(out, 'utf8')) as { runs: Array<{ phase: string; consumers: number; eventsPerSecond: number; secondsToZero: number }>; baselines: Array<{ raw: { eventsPerSecond: number } }> };
  rmSync(out, { force: true });
  const batch = figures.runs.find((r) => r.phase === 'batch')!;
  return { eventsPerSecond: batch.eventsPerSecond, rawEventsPerSecond: figures.baselines[0]!.raw.eventsPerSecond, secondsToZero: batch.secondsToZero };
}

async function main(): Promise<void> {
  if (values['write-from']) {
    // The block again from a run's --json (e.g. after editing the notes around it).
    log(`written to ${writeFigures(JSON.parse(readFileSync(values['write-from'], 'utf8')) as Figures)}`);
    return;
  }
  const command = `node --import tsx bench/analytics/run.ts ${process.argv.slice(2).join(' ')}`.trim();
  log(`eventrag analytics bench: ${cpus().length} × ${cpus()[0]?.model.trim() ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GB, Node ${process.version}`);
  const back = values.backbone ? backbone() : null;
  if (back) log(`backbone batch phase (bench/ingest, N = 1): ${fmt(back.eventsPerSecond)} events/s (raw SQLite ${fmt(back.rawEventsPerSecond)}), lag → 0 in ${back.secondsToZero.toFixed(2)} s`);
  const dataDir = values.reuse ?? mkdtempSync(join(tmpdir(), 'eventrag-bench-analytics-'));
  mkdirSync(dataDir, { recursive: true });
  const loaded = existsSync(join(dataDir, META));
  if (values.profile === 'load') {
    if (loaded) throw new Error(`--profile load needs an empty data directory (${dataDir} holds a loaded log)`);
    try { await profileLoad(dataDir); } finally { if (!values.reuse) rmSync(dataDir, { recursive: true, force: true }); }
    return;
  }
  try {
    const server = await startServer(dataDir, rootOption());
    let meta: Meta;
    const list: EndpointFigures[] = [];
    try {
      if (loaded) {
        meta = JSON.parse(readFileSync(join(dataDir, META), 'utf8')) as Meta;
        log(`reusing ${dataDir}: ${fmt(meta.options.events)} events of ${fmt(meta.options.people)} persons loaded ${meta.options.end}`);
        await drain(server, performance.now());
      } else {
        meta = await loadLog(server, dataDir, back);
      }
      const only = values.only?.split(',');
      const now = Date.now();
      for (const endpoint of endpoints(meta.userIds, now).filter((e) => !only || only.includes(e.name))) list.push(await measure(server, endpoint));
    } finally {
      await server.stop();
    }
    let profile: ProfileFigures | null = null;
    if (values.profile) {
      const present = list.filter((e) => e.present && e.runs[0]);
      const target = values.profile === 'slowest'
        ? present.sort((a, b) => b.runs[0]!.p95 / b.goalP95Ms - a.runs[0]!.p95 / a.goalP95Ms)[0]
        : present.find((e) => e.name === values.profile);
      if (!target) throw new Error(`no endpoint to profile (${values.profile})`);
      profile = await profileEndpoint(dataDir, endpoints(meta.userIds, Date.now(), 11).find((e) => e.name === target.name)!);
    }
    const figures: Figures = {
      date: new Date().toISOString(), command, reused: loaded, log: meta.options, load: meta.load, drains: meta.drains,
      endpoints: list, profile, backbone: back ?? meta.backbone ?? null, loadAverage: loadavg(),
    };
    if (values.json) writeFileSync(values.json, JSON.stringify(figures, null, 2));
    if (!values['no-write']) log(`written to ${writeFigures(figures)}`);
  } finally {
    if (!values.reuse) rmSync(dataDir, { recursive: true, force: true });
    else log(`data directory kept: ${dataDir}`);
  }
}

await main();
