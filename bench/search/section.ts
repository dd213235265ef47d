/** Writes the "Search over HTTP and freshness" section of BENCHMARKS.md between its markers. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';

const FILE = join(import.meta.dirname, '..', '..', 'BENCHMARKS.md');
const START = '<!-- bench:search-http:start (written by bench/search/http.ts) -->';
const END = '<!-- bench:search-http:end -->';

export interface HttpFigures {
  indexed: { docs: number; seconds: number };
  serial: { n: number; p50: number; p95: number; p99: number };
  parallel: { rps: number; p50: number; p99: number };
  fresh: { n: number; p50: number; p95: number; max: number };
}

export function writeSection(f: HttpFigures): void {
  const ms = (v: number) => `${v.toFixed(2)} ms`;
  const body = [
    START,
    `Measured ${new Date().toISOString().slice(0, 10)} on ${cpus().length} cores (${cpus()[0]?.model.trim() ?? 'cpu'}), ${Math.round(totalmem() / 2 ** 30)} GB, Node ${process.version}; \`node --import tsx bench/search/http.ts\`.`,
    'Server as a child process (embedded shape, hash embedder); SciFact corpus written through `POST /v1/collections/scifact/documents` (event log → indexer).',
    '',
    '| figure | value | goal |',
    '|---|---|---|',
    `| indexing through the API | ${f.indexed.docs} docs in ${f.indexed.seconds.toFixed(1)} s (${Math.round(f.indexed.docs / f.indexed.seconds)} docs/s) | reported |`,
    `| hybrid \`POST /v1/search\`, one at a time, ${f.serial.n} distinct queries (no cache hits) | p50 ${ms(f.serial.p50)}, **p95 ${ms(f.serial.p95)}**, p99 ${ms(f.serial.p99)} | p95 < 10 ms: ${f.serial.p95 < 10 ? 'met' : '**missed**'} |`,
    `| hybrid \`POST /v1/search\`, 4 connections | ${Math.round(f.parallel.rps)} req/s, p50 ${f.parallel.p50} ms, p99 ${f.parallel.p99} ms | reported |`,
    `| freshness: 202 of \`article.created\` → found by search, ${f.fresh.n} articles | p50 ${ms(f.fresh.p50)}, **p95 ${ms(f.fresh.p95)}**, max ${ms(f.fresh.max)} | p95 < 500 ms: ${f.fresh.p95 < 500 ? 'met' : '**missed**'} |`,
    END,
  ].join('\n');
  const current = existsSync(FILE) ? readFileSync(FILE, 'utf8') : '# Benchmarks\n';
  const section = `## Search over HTTP and freshness\n\n${body}\n`;
  const next = current.includes(START)
    ? current.replace(new RegExp(`${START.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}[\\s\\S]*?${END}`), body)
    : `${current.trimEnd()}\n\n${section}`;
  writeFileSync(FILE, next);
}
