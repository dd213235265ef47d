/** Writes the "Intent categorizer" section of BENCHMARKS.md between its markers (appended the first time). */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const FILE = join(import.meta.dirname, '..', '..', 'BENCHMARKS.md');
const START = '<!-- bench:categorizer:start (written by bench/categorizer/run.ts) -->';
const END = '<!-- bench:categorizer:end -->';
const HEADING = /^## Intent categorizer \(\d{4}-\d{2}-\d{2}\)$/m;

/** Replaces the marked part (and the date in its heading) or appends heading and part at the end. */
export function writeSection(date: string, lines: string[]): void {
  const body = [START, ...lines, END].join('\n');
  const heading = `## Intent categorizer (${date})`;
  const current = existsSync(FILE) ? readFileSync(FILE, 'utf8') : '# Benchmarks\n';
  const start = current.indexOf(START);
  const end = current.indexOf(END);
  const next =
    start >= 0 && end > start
      ? `${current.slice(0, start)}${body}${current.slice(end + END.length)}`.replace(HEADING, heading)
      : `${current.trimEnd()}\n\n\n${heading}\n\n${body}\n`;
  writeFileSync(FILE, next);
}
