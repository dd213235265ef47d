import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../src/platform/errors.js';

describe('docs/errors.md', () => {
  it('lists every error code with its status', () => {
    const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
    const missing = Object.entries(ERROR_CODES).filter(([code, { status }]) => !doc.includes(`| \`${code}\` | ${status} |`));
    expect(missing.map(([code]) => code)).toEqual([]);
  });
});
