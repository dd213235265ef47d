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

/**
 * Writes a block that carries its own markers (`start` … `end`): in place of the marked one, else
 * right under the section's `heading` line, else at the end under `heading (date)`. Returns the path.
 */
export function writeMarkedBlock(markers: { start: string; end: string }, heading: string, date: string, block: string): string {
  let text = existsSync(FILE) ? readFileSync(FILE, 'utf8') : '# Benchmarks\n';
  const start = text.indexOf(markers.start);
  const end = text.indexOf(markers.end);
  if (start >= 0 && end > start) {
    text = `${text.slice(0, start)}${block}${text.slice(end + markers.end.length)}`;
  } else if (text.includes(heading)) {
    const at = text.indexOf('\n', text.indexOf(heading)) + 1;
    text = `${text.slice(0, at)}\n${block}\n${text.slice(at)}`;
  } else {
    text = `${text.trimEnd()}\n\n${heading} (${date})\n\n${block}\n`;
  }
  writeFileSync(FILE, text);
  return FILE;
}
