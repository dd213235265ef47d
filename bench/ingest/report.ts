/**
 * Writes the figures into BENCHMARKS.md, section "Ingest (embedded)", between two markers; the
 * rest of the file (the Search section, the notes under the figures) is left as it is.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import type { DrainResult, LoadResult } from './load.js';
import type { RawResult } from './raw-sqlite.js';

export interface Figures {
  date: Date;
  seconds: number;
  rawEvents: RawResult;
  rawOutbox: RawResult;
  batch: LoadResult & DrainResult;
  single: LoadResult;
  bare: LoadResult;
}

const FILE = join(import.meta.dirname, '..', '..', 'BENCHMARKS.md');
const HEADING = '## Ingest (embedded)';
const START = '<!-- bench:ingest:start (written by bench/ingest/run.ts) -->';
const END = '<!-- bench:ingest:end -->';

const n = (value: number) => Math.round(value).toLocaleString('en-US');
const verdict = (ok: boolean) => (ok ? 'met' : '**missed**');

export function figuresMarkdown(f: Figures): string {
  const batchRatio = f.batch.eventsPerSecond / f.rawEvents.eventsPerSecond;
  const singleRatio = f.single.requestsPerSecond / f.bare.requestsPerSecond;
  return [
    START,
    `Measured ${f.date.toISOString().slice(0, 10)} on ${cpus().length} cores (${cpus()[0]?.model.trim() ?? 'cpu'}), ${Math.round(totalmem() / 2 ** 30)} GB, `
      + `Node ${process.version}; ${f.seconds} s per phase after a 2 s warm-up; \`npm run bench:ingest\`.`,
    'The server runs as a child process (`bin/eventrag serve`, SQLite WAL, in-process bus, all consumers running);',
    'autocannon runs in the bench process with 10 connections; the bare route is a Fastify child process started the same way.',
    '',
    '| phase | figure | goal | |',
    '|---|---|---|---|',
    `| (a) raw SQLite inserts, event rows, 100 per transaction (ceiling) | ${n(f.rawEvents.eventsPerSecond)} events/s | | |`,
    `| (a') raw SQLite inserts, event + outbox rows, 100 per transaction | ${n(f.rawOutbox.eventsPerSecond)} events/s | | |`,
    `| (b) \`POST /v1/events/batch\`, 100 events per request | ${n(f.batch.eventsPerSecond)} events/s (${n(f.batch.requestsPerSecond)} req/s), p50 ${f.batch.p50Ms} ms, p99 ${f.batch.p99Ms} ms | | |`,
    `| (b) / (a) | ${batchRatio.toFixed(2)} | ≥ 0.6 | ${verdict(batchRatio >= 0.6)} |`,
    `| (b) / (a') | ${(f.batch.eventsPerSecond / f.rawOutbox.eventsPerSecond).toFixed(2)} | | |`,
    `| consumer lag after the load: ${n(f.batch.backlogAtStop)} deliveries → 0 | ${f.batch.secondsToZero.toFixed(2)} s | ≤ 5 s | ${verdict(f.batch.secondsToZero <= 5)} |`,
    `| (c) \`POST /v1/events\`, one event | ${n(f.single.requestsPerSecond)} req/s, p50 ${f.single.p50Ms} ms, p99 ${f.single.p99Ms} ms | | |`,
    `| (c) bare Fastify route, same body | ${n(f.bare.requestsPerSecond)} req/s, p50 ${f.bare.p50Ms} ms, p99 ${f.bare.p99Ms} ms | | |`,
    `| (c) / bare | ${singleRatio.toFixed(2)} | ≥ 0.5 | ${verdict(singleRatio >= 0.5)} |`,
    END,
  ].join('\n');
}

/** Replaces the figures between the markers (creating the file or section if needed); returns the path. */
export function writeFigures(f: Figures): string {
  const block = figuresMarkdown(f);
  let text = existsSync(FILE) ? readFileSync(FILE, 'utf8') : '# Benchmarks\n\nFigures measured on the development machines; compare ratios within one run.\n';
  const start = text.indexOf(START);
  const end = text.indexOf(END);
  if (start >= 0 && end > start) {
    text = `${text.slice(0, start)}${block}${text.slice(end + END.length)}`;
  } else if (text.includes(HEADING)) {
    const at = text.indexOf(HEADING) + HEADING.length;
    text = `${text.slice(0, at)}\n\n${block}\n${text.slice(at)}`;
  } else {
    text = `${text.trimEnd()}\n\n${HEADING}\n\n${block}\n`;
  }
  writeFileSync(FILE, text);
  return FILE;
}
