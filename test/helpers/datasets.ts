/**
 * Outside datasets (../shared/datasets beside the repository: on CI and the development
 * machines, not in a plain clone). A suite that needs one runs where it is present and, where
 * it is absent, is skipped with the reason in its name and on the console. With
 * REQUIRE_DATASETS=1 a missing dataset fails the suite instead (for machines that must have it).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export interface OutsideDataset {
  /** Absolute path of the dataset folder. */
  dir: string;
  present: boolean;
  /** Appended to the suite's name: empty when present, "(skipped: … not present)" otherwise. */
  label: string;
}

const ROOT = join(import.meta.dirname, '..', '..');

export function outsideDataset(name: string): OutsideDataset {
  const relative = `../shared/datasets/${name}`;
  const dir = join(ROOT, relative);
  const present = existsSync(dir);
  const label = present ? '' : ` (skipped: ${relative} not present)`;
  if (!present && process.env.REQUIRE_DATASETS === '1') throw new Error(`${relative} is not present (${dir}) and REQUIRE_DATASETS=1`);
  if (!present) console.warn(`skipping the tests that read ${relative}: it is not present beside the repository (${dir})`);
  return { dir, present, label };
}
