/** Writes the "Next-action prediction" section of BENCHMARKS.md between its markers (appended the first time). */
import { writeMarkedSection } from '../benchmarks-section.js';

export function writeSection(date: string, lines: string[]): void {
  writeMarkedSection({ id: 'predict', title: 'Next-action prediction', writer: 'bench/predict/run.ts' }, date, lines);
}
