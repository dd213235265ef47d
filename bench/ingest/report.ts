/**
 * Writes the ingest figures into BENCHMARKS.md, section "The log as the outbox", between two
 * markers; the rest of the file (earlier sections, the notes under the figures) is left as it is.
 */
import { cpus, totalmem } from 'node:os';
import { writeMarkedBlock } from '../benchmarks-section.js';
import type { DrainResult, LoadResult } from './load.js';
import type { RawResult } from './raw-sqlite.js';
import type { SqliteWrites, StatementTime } from './sqlite-writes.js';

export type Release = 'before' | 'after';

/** The server's SQLite writes during a measured phase, divided by the events it accepted. */
export interface WritesPerEvent { statements: number; inserts: number; updates: number; deletes: number; rowsChanged: number; commits: number; diskPages: number }

export type Measured = LoadResult & DrainResult & { writes: WritesPerEvent | null; sqliteTime?: StatementTime[] };

export interface Figures {
  date: Date;
  seconds: number;
  loadSeconds: number;
  /** Raw SQLite and bare Fastify, measured again before each N's phases. */
  baselines: Array<{ consumers: number; raw: RawResult; bare: LoadResult }>;
  /** os.loadavg() at the end (the machine may be shared). */
  loadAverage: number[];
  runs: Array<Measured & { release: Release; consumers: number; phase: 'batch' | 'single' }>;
}

/** Time in SQLite per statement during the phase (cumulative `after` minus `before`), busiest first. */
export function timeDelta(before: SqliteWrites | null, after: SqliteWrites | null, limit = 10): StatementTime[] {
  if (!before || !after) return [];
  const earlier = new Map(before.time.map((t) => [t.sql, t]));
  return after.time.map((t) => ({ sql: t.sql, calls: t.calls - (earlier.get(t.sql)?.calls ?? 0), ms: t.ms - (earlier.get(t.sql)?.ms ?? 0) }))
    .sort((a, b) => b.ms - a.ms).slice(0, limit);
}

export function perEvent(before: SqliteWrites | null, after: SqliteWrites | null, events: number): WritesPerEvent | null {
  if (!before || !after || events === 0) return null;
  const d = (key: Exclude<keyof SqliteWrites, 'time'>) => (after[key] - before[key]) / events;
  return {
    statements: d('statements'), inserts: d('inserts'), updates: d('updates'), deletes: d('deletes'),
    rowsChanged: d('rowsChanged'), commits: d('commits'), diskPages: d('diskBytes') / 4096,
  };
}

const HEADING = '## The log as the outbox';
const START = '<!-- bench:backbone:start (written by bench/ingest/run.ts) -->';
const END = '<!-- bench:backbone:end -->';

const n = (value: number) => Math.round(value).toLocaleString('en-US');
const verdict = (ok: boolean) => (ok ? 'met' : '**missed**');
const GOAL_BATCH: Record<number, number> = { 1: 0.8, 6: 0.6 };

function rows(f: Figures): string[] {
  const out: string[] = [];
  const releases = [...new Set(f.runs.map((r) => r.release))];
  const cell = (consumers: number, phase: string, value: (m: Figures['runs'][number]) => string) =>
    releases.map((release) => { const m = f.runs.find((r) => r.release === release && r.consumers === consumers && r.phase === phase); return m ? value(m) : ''; });
  for (const consumers of [...new Set(f.runs.map((r) => r.consumers))]) {
    const goal = GOAL_BATCH[consumers];
    const { raw, bare } = f.baselines.find((x) => x.consumers === consumers)!;
    const after = (phase: string) => f.runs.find((r) => r.release === 'after' && r.consumers === consumers && r.phase === phase);
    const batchRatio = (m: Measured) => m.eventsPerSecond / raw.eventsPerSecond;
    const singleRatio = (m: Measured) => m.requestsPerSecond / bare.requestsPerSecond;
    out.push(`| N = ${consumers}: (a) raw SQLite, events/s / bare Fastify, req/s (measured before this N) | ${releases.map(() => `${n(raw.eventsPerSecond)} / ${n(bare.requestsPerSecond)}`).join(' | ')} | | |`);
    const line = (label: string, values: string[], goalText = '', met = '') => out.push(`| ${label} | ${values.join(' | ')} | ${goalText} | ${met} |`);
    const b = after('batch');
    const s = after('single');
    line(`N = ${consumers}: (b) batch ingest, events/s (p99)`, cell(consumers, 'batch', (m) => `${n(m.eventsPerSecond)} (${m.p99Ms} ms)`));
    line(`N = ${consumers}: (b) / (a)`, cell(consumers, 'batch', (m) => batchRatio(m).toFixed(2)), goal ? `≥ ${goal}` : '', b && goal ? verdict(batchRatio(b) >= goal) : '');
    line(`N = ${consumers}: lag at stop → 0`, cell(consumers, 'batch', (m) => `${n(m.backlogAtStop)} → 0 in ${m.secondsToZero.toFixed(2)} s`), consumers === 6 ? '≤ 5 s' : '', b && consumers === 6 ? verdict(b.secondsToZero <= 5) : '');
    line(`N = ${consumers}: (b) write statements / rows changed per event`, cell(consumers, 'batch', (m) => (m.writes ? `${m.writes.statements.toFixed(2)} / ${m.writes.rowsChanged.toFixed(2)}` : '')));
    line(`N = ${consumers}: (b) commits / pages written to disk per event`, cell(consumers, 'batch', (m) => (m.writes ? `${m.writes.commits.toFixed(3)} / ${m.writes.diskPages.toFixed(2)}` : '')));
    line(`N = ${consumers}: (c) single event, req/s (p99)`, cell(consumers, 'single', (m) => `${n(m.requestsPerSecond)} (${m.p99Ms} ms)`));
    line(`N = ${consumers}: (c) / bare`, cell(consumers, 'single', (m) => singleRatio(m).toFixed(2)), '≥ 0.5', s ? verdict(singleRatio(s) >= 0.5) : '');
    line(`N = ${consumers}: (c) write statements / rows / pages per event`, cell(consumers, 'single', (m) => (m.writes ? `${m.writes.statements.toFixed(2)} / ${m.writes.rowsChanged.toFixed(2)} / ${m.writes.diskPages.toFixed(2)}` : '')));
  }
  return out;
}

export function figuresMarkdown(f: Figures): string {
  const releases = [...new Set(f.runs.map((r) => r.release))];
  return [
    START,
    `Measured ${f.date.toISOString().slice(0, 10)} on ${cpus().length} cores (${cpus()[0]?.model.trim() ?? 'cpu'}), ${Math.round(totalmem() / 2 ** 30)} GB, `
      + `Node ${process.version}; batch load ${f.loadSeconds} s, other phases ${f.seconds} s, each after a 2 s warm-up and drain.`,
    `Load average at the end: ${f.loadAverage.map((l) => l.toFixed(1)).join(', ')}. (a) is raw SQLite inserts of the same event rows, 100 per transaction (the ceiling).`,
    '',
    `| figure | ${releases.join(' | ')} | goal | |`,
    `|---|${releases.map(() => '---|').join('')}---|---|`,
    ...rows(f),
    END,
  ].join('\n');
}

/** Replaces the figures between the markers (creating the section if needed); returns the path. */
export function writeFigures(f: Figures): string {
  return writeMarkedBlock({ start: START, end: END }, HEADING, f.date.toISOString().slice(0, 10), figuresMarkdown(f));
}
