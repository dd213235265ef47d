/**
 * Writes one section of BENCHMARKS.md between its markers: replaces the marked part (and the date
 * in its heading) when present, else appends the heading and the part at the end.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const FILE = join(import.meta.dirname, '..', 'BENCHMARKS.md');

export interface MarkedSection {
  /** Marker id, e.g. `predict` → `<!-- bench:predict:start … -->`. */
  id: string;
  /** The heading's title; the heading is `## <title> (<date>)`. */
  title: string;
  /** The script that writes it, named in the start marker. */
  writer: string;
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export function writeMarkedSection(section: MarkedSection, date: string, lines: string[]): void {
  const start = `<!-- bench:${section.id}:start (written by ${section.writer}) -->`;
  const end = `<!-- bench:${section.id}:end -->`;
  const headingPattern = new RegExp(`^## ${escape(section.title)} \\(\\d{4}-\\d{2}-\\d{2}\\)$`, 'm');
  const body = [start, ...lines, end].join('\n');
  const heading = `## ${section.title} (${date})`;
  const current = existsSync(FILE) ? readFileSync(FILE, 'utf8') : '# Benchmarks\n';
  const at = current.indexOf(start);
  const until = current.indexOf(end);
  const next =
    at >= 0 && until > at
      ? `${current.slice(0, at)}${body}${current.slice(until + end.length)}`.replace(headingPattern, heading)
      : `${current.trimEnd()}\n\n\n${heading}\n\n${body}\n`;
  writeFileSync(FILE, next);
}
