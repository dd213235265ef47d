/**
 * The problem+json catalogue in both directions: every code the server defines is documented in
 * docs/errors.md with its status, every documented code exists, and every code is raised
 * somewhere in src/ (a documented code nothing raises is a promise the server does not keep).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../src/platform/errors.js';

const SRC = new URL('../../src/', import.meta.url).pathname;
const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

describe('docs/errors.md', () => {
  it('lists every error code with its status', () => {
    const missing = Object.entries(ERROR_CODES).filter(([code, { status }]) => !doc.includes(`| \`${code}\` | ${status} |`));
    expect(missing.map(([code]) => code)).toEqual([]);
  });

  it('lists no code the server does not define', () => {
    const documented = [...doc.matchAll(/^\| `([A-Z][A-Z0-9_]+)` \| \d{3} \|/gm)].map((m) => m[1]!);
    expect(documented.length).toBeGreaterThan(10);
    expect(documented.filter((code) => !(code in ERROR_CODES))).toEqual([]);
  });

  it('every defined code is raised somewhere in src/', () => {
    const source = sourceFiles(SRC).filter((path) => !path.endsWith('platform/errors.ts')).map((path) => readFileSync(path, 'utf8')).join('\n');
    // Raised means constructed: `new AppError('CODE', …)`, not merely compared or mentioned.
    const unraised = Object.keys(ERROR_CODES).filter((code) => !source.includes(`AppError('${code}'`));
    expect(unraised).toEqual([]);
  });
});
