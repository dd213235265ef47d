import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { AppError } from '../../src/platform/errors.js';

describe('loadConfig', () => {
  it('applies defaults', () => {
    const config = loadConfig({}, {});
    expect(config).toMatchObject({ PORT: 3000, DATA_DIR: './data', ROLE: 'all', EMBEDDER: 'hash', IDEMPOTENCY_WINDOW_HOURS: 24 });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('converts environment strings', () => {
    expect(loadConfig({}, { PORT: '8080', DEMO_TENANT: 'false' })).toMatchObject({ PORT: 8080, DEMO_TENANT: false });
  });

  it('reports every invalid value at once, by name', () => {
    let error: unknown;
    try {
      loadConfig({}, { PORT: 'eighty', ROLE: 'boss', JWT_SECRET: 'short', CONSUMER_MAX_ATTEMPTS: '0' });
    } catch (e) { error = e; }
    expect(error).toBeInstanceOf(AppError);
    const problems = (error as AppError).details!.problems as string[];
    expect(problems.map((p) => p.split(':')[0]).sort()).toEqual(['CONSUMER_MAX_ATTEMPTS', 'JWT_SECRET', 'PORT', 'ROLE']);
    expect(problems.find((p) => p.startsWith('ROLE'))).toContain('must be one of all, api, worker');
  });

  it('reads a JSON config file, with the environment taking precedence', () => {
    const dir = mkdtempSync(join(tmpdir(), 'eventrag-config-'));
    const file = join(dir, 'eventrag.json');
    writeFileSync(file, JSON.stringify({ PORT: 4000, LOG_LEVEL: 'debug' }));
    expect(loadConfig({}, { CONFIG_FILE: file, LOG_LEVEL: 'warn' })).toMatchObject({ PORT: 4000, LOG_LEVEL: 'warn' });
    writeFileSync(file, JSON.stringify({ PROT: 1 }));
    expect(() => loadConfig({}, { CONFIG_FILE: file })).toThrow(/PROT: not a known setting/);
  });
});

describe('docs/configuration.md', () => {
  it('documents every setting', async () => {
    const { readFileSync } = await import('node:fs');
    const { ConfigSchema } = await import('../../src/config.js');
    const doc = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');
    expect(Object.keys(ConfigSchema.properties).filter((key) => !doc.includes(`| \`${key}\` |`))).toEqual([]);
  });
});
