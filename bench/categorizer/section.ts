/** Writes the "Intent categorizer" section of BENCHMARKS.md between its markers (appended the first time). */
import { writeMarkedSection } from '../benchmarks-section.js';

export function writeSection(date: string, lines: string[]): void {
  writeMarkedSection({ id: 'categorizer', title: 'Intent categorizer', writer: 'bench/categorizer/run.ts' }, date, lines);
}
