/**
 * The analytics bench's figures, and their block in BENCHMARKS.md (section "Analytics at 1M
 * events") between two markers; the notes around the block are left as they are.
 */
import { cpus, totalmem } from 'node:os';
import { writeMarkedBlock } from '../benchmarks-section.js';
import type { StatementTime } from '../ingest/sqlite-writes.js';
import type { Sampled } from './http.js';

export interface ConsumerDrain { name: string; maxLagDuringLoad: number; lagAtStop: number; secondsToZero: number; dead: number }

export interface EndpointFigures {
  name: string;
  scope: 'user' | 'tenant';
  goalP95Ms: number;
  /** false when the route answered 404 ROUTE_NOT_FOUND. */
  present: boolean;
  /** The first request's time and status (cold: no warm-up before it). */
  firstMs: number | null;
  firstStatus: number | null;
  runs: Array<Sampled & { concurrency: number }>;
}

export interface ProfileFigures {
  /** What ran under the profiler. */
  target: string;
  requests: number;
  p50: number;
  p95: number;
  cpuMs: number;
  packages: Array<{ name: string; share: number }>;
  self: Array<{ name: string; share: number }>;
  inclusive: Array<{ name: string; share: number }>;
  sql: StatementTime[];
  file: string;
}

export interface Figures {
  date: string;
  command: string;
  /** true when the log was loaded by an earlier run (--reuse): the load figures are that run's. */
  reused: boolean;
  log: {
    people: number; events: number; days: number; seed: number; end: string; sessions: number; anonymousPersons: number; segmentEvents: number;
    eventsPerPerson: { p50: number; p99: number; max: number }; requests: number; generateSeconds: number;
    /** Groups of persons sent one after the other (1: the log in time order). */
    waves?: number;
    /** Set when --load-deadline stopped the load: what was sent. */
    truncatedTo?: { events: number; people: number };
  };
  load: {
    seconds: number; events: number; requests?: number; rejected: number; eventsPerSecond: number; connections: number; batch: number;
    requestP50Ms: number; requestP99Ms: number; quarters: number[]; timeline: Array<{ seconds: number; sent: number; lag: number }>;
  };
  drains: ConsumerDrain[];
  endpoints: EndpointFigures[];
  profile: ProfileFigures | null;
  /** bench/ingest's batch phase (N = 1) run just before the load. */
  backbone: { eventsPerSecond: number; rawEventsPerSecond: number; secondsToZero: number } | null;
  loadAverage: number[];
}

const HEADING = '## Analytics at 1M events';
const START = '<!-- bench:analytics:start (written by bench/analytics/run.ts) -->';
const END = '<!-- bench:analytics:end -->';
const n = (value: number) => Math.round(value).toLocaleString('en-US');
const ms = (value: number) => (Number.isFinite(value) ? (value < 10 ? value.toFixed(1) : n(value)) : '–');
/** GET /v1/consumers counts lag up to this many events (LAG_COUNT_CAP): a figure there means at least that. */
const LAG_CAP = 10_000;
const lag = (value: number) => (value >= LAG_CAP ? `≥ ${n(LAG_CAP)} (the API's cap)` : n(value));
/** Consumers the issue's lag goal names: the analytics and categorizer projections. */
const LAG_GOAL = /analytics|categor/;

function verdict(e: EndpointFigures): string {
  if (!e.present) return 'not present';
  const failed = e.runs.filter((r) => r.firstError !== null);
  if (failed.length > 0) return `**errors** (${failed[0]!.firstError!.slice(0, 3)})`;
  const missed = e.runs.filter((r) => !(r.p95 < e.goalP95Ms));
  if (missed.length === 0) return 'met';
  if (missed.length === e.runs.length) return '**missed**';
  return `met at c=${e.runs.filter((r) => r.p95 < e.goalP95Ms).map((r) => r.concurrency).join(',')}, **missed** at c=${missed.map((r) => r.concurrency).join(',')}`;
}

export function figuresMarkdown(f: Figures): string {
  const concurrencies = [...new Set(f.endpoints.flatMap((e) => e.runs.map((r) => r.concurrency)))];
  const load = f.load;
  const lines = [
    START,
    `Measured ${f.date.slice(0, 16).replace('T', ' ')} UTC on ${cpus().length} cores (${cpus()[0]?.model.trim() ?? 'cpu'}), ${Math.round(totalmem() / 2 ** 30)} GB, Node ${process.version}, SQLite (embedded, one process); `
      + `\`${f.command}\`${f.reused ? ' (log loaded by an earlier run on the same data directory)' : ''}. Load average at the end: ${f.loadAverage.map((l) => l.toFixed(1)).join(', ')}.`,
    '',
    `**Log** (\`bench/analytics/generate.ts\`, seed ${f.log.seed}): ${n(f.log.events)} events of ${n(f.log.people)} persons in ${n(f.log.sessions)} sessions over ${f.log.days} days to ${f.log.end.slice(0, 16).replace('T', ' ')} UTC; `
      + `events per person p50 ${f.log.eventsPerPerson.p50}, p99 ${f.log.eventsPerPerson.p99}, max ${f.log.eventsPerPerson.max}; ${n(f.log.anonymousPersons)} persons start anonymous `
      + `(${n(f.log.segmentEvents)} events through the Segment batch API, then an identify).`
      + (f.log.truncatedTo ? ` **The load stopped at its deadline: ${n(f.log.truncatedTo.events)} events of ${n(f.log.truncatedTo.people)} persons were loaded and measured`
        + `${(f.log.waves ?? 1) > 1 ? ` (the log went in ${f.log.waves} groups of persons, each in time order, so these are whole persons over the whole period)` : ' (the log\'s first events by time)'}.**` : ''),
    '',
    `**Load**: ${n(load.events)} events in ${n(load.requests ?? f.log.requests)} requests (${load.batch} events each, ${load.connections} connections, `
      + `${(f.log.waves ?? 1) > 1 ? `in ${f.log.waves} groups of persons, each in time order` : 'in time order'}) in ${load.seconds.toFixed(1)} s: `
      + `**${n(load.eventsPerSecond)} events/s** (by quarter of the load: ${load.quarters.map(n).join(', ')}; request p50 ${ms(load.requestP50Ms)} ms, p99 ${ms(load.requestP99Ms)} ms; ${n(load.rejected)} rejected).`
      + (f.backbone ? ` The backbone's batch phase (\`bench/ingest/run.ts --consumers 1\`, 15 s into an empty log) in the same run: ${n(f.backbone.eventsPerSecond)} events/s (raw SQLite ${n(f.backbone.rawEventsPerSecond)}).` : ''),
    '',
    '| consumer | largest lag during the load | lag at the end of the load | back to zero after | goal | |',
    '|---|---|---|---|---|---|',
    ...f.drains.map((d) => {
      const goal = LAG_GOAL.test(d.name);
      return `| ${d.name} | ${lag(d.maxLagDuringLoad)} | ${lag(d.lagAtStop)} | ${d.secondsToZero.toFixed(2)} s | ${goal ? '≤ 5 s' : ''} | ${goal ? (d.secondsToZero <= 5 ? 'met' : '**missed**') : ''} |`;
    }),
    '',
    `| endpoint | goal p95 | first answer | ${concurrencies.map((c) => `c=${c}: p50 / p95 / p99 ms (requests)`).join(' | ')} | |`,
    `|---|---|---|${concurrencies.map(() => '---|').join('')}---|`,
    ...f.endpoints.map((e) => {
      const cells = concurrencies.map((c) => {
        const r = e.runs.find((x) => x.concurrency === c);
        return r ? `${ms(r.p50)} / ${ms(r.p95)} / ${ms(r.p99)} (${r.n}${r.notFound ? `, ${r.notFound} × 404` : ''})` : '';
      });
      const first = e.firstMs === null ? '' : `${ms(e.firstMs)} ms${e.firstStatus !== 200 ? ` (${e.firstStatus})` : ''}`;
      return `| ${e.scope === 'user' ? `users/:userId/${e.name}` : e.name} | < ${e.goalP95Ms} ms | ${first} | ${cells.join(' | ')} | ${verdict(e)} |`;
    }),
  ];
  const p = f.profile;
  if (p) {
    lines.push('', `**Profile of ${p.target}** (\`--profile\`: the instrumented bench server under \`--cpu-prof\`, ${p.requests} requests, p50 ${ms(p.p50)} ms, p95 ${ms(p.p95)} ms under the profiler, ${n(p.cpuMs)} ms on CPU):`,
      `self time by package: ${p.packages.map((x) => `${x.name} ${(100 * x.share).toFixed(0)} %`).join(', ')};`,
      `top functions by self time (\`counted\` is the bench's SQLite statement timer: its self time is the time inside SQLite): ${p.self.slice(0, 8).map((x) => `\`${x.name}\` ${(100 * x.share).toFixed(1)} %`).join(', ')};`,
      `eventrag functions by inclusive time: ${p.inclusive.slice(0, 8).map((x) => `\`${x.name}\` ${(100 * x.share).toFixed(0)} %`).join(', ')};`,
      `time in SQLite per statement: ${p.sql.slice(0, 4).map((t) => `${n(t.ms)} ms in ${n(t.calls)} calls of \`${t.sql.replace(/\s+/g, ' ').slice(0, 140)}${t.sql.length > 140 ? '…' : ''}\``).join('; ')}.`);
  }
  lines.push(END);
  return lines.join('\n');
}

/** Replaces the block between the markers (creating the section if needed); returns the path. */
export function writeFigures(f: Figures): string {
  return writeMarkedBlock({ start: START, end: END }, HEADING, f.date.slice(0, 10), figuresMarkdown(f));
}
