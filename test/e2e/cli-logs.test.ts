/**
 * `eventrag serve` as a child process: the start banner (where it listens, the data, the backends,
 * the docs, the demo keys on the first start only) and the log format (LOG_FORMAT json | pretty).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { chooseLogFormat } from '../../src/platform/log-format.js';
import { childEnv } from '../helpers/processes.js';

const ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'eventrag');
const dataDir = mkdtempSync(join(tmpdir(), 'eventrag-cli-logs-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

interface Started { stdout: string; stderr: string; url: string }

/** Starts `serve` on a free port, waits for its banner and first log line, then stops it (SIGTERM). */
async function startAndStop(settings: Record<string, string>): Promise<Started> {
  const child: ChildProcess = spawn(process.execPath, [BIN, 'serve'], {
    cwd: ROOT, env: childEnv({ PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'info', DEMO_TENANT: 'true', ...settings }),
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => { stdout += String(chunk); });
  child.stderr!.on('data', (chunk) => { stderr += String(chunk); });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const deadline = Date.now() + 100_000;
  while (!(stderr.includes('Backends') && stdout.includes('listening')) && Date.now() < deadline && child.exitCode === null) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  child.kill('SIGTERM');
  expect(await exited).toBe(0);
  const url = /API\s+(http:\/\/\S+)/.exec(stderr)?.[1] ?? '';
  return { stdout, stderr, url };
}

// Each start of a child process costs seconds of CPU; the bounds leave room for a busy machine.
describe('eventrag serve: banner and log format', { timeout: 120_000 }, () => {
  it('LOG_FORMAT=json: JSON log lines; the banner names the address, data, backends and docs, and the new demo keys', async () => {
    const { stdout, stderr, url } = await startAndStop({ LOG_FORMAT: 'json' });
    const lines = stdout.split('\n').filter((l) => l.trim());
    expect(lines.length).toBeGreaterThan(0);
    const records = lines.map((l) => JSON.parse(l) as { level: number; msg: string });
    expect(records.some((r) => r.level === 30 && /listening/i.test(r.msg))).toBe(true);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(url.endsWith(':0')).toBe(false);
    expect(stderr).toContain(`Docs      ${url}/docs`);
    expect(stderr).toContain(`Data      ${dataDir} (SQLite database eventrag.db, search index)`);
    expect(stderr).toContain('Backends  store SQLite · publish off · cache in-memory · realtime in-process · search embedded');
    expect(stderr).toContain('Created tenant "demo". These keys are shown once; keep them:');
    expect(stderr).toMatch(/admin key : er_admin_\S+\n\s+ingest key: er_ingest_\S+/);
    expect(stderr).toContain('npm run demo');
  });

  it('LOG_FORMAT=pretty: readable lines, not JSON; a later start shows no keys', async () => {
    const { stdout, stderr } = await startAndStop({ LOG_FORMAT: 'pretty' });
    const lines = stdout.split('\n').filter((l) => l.trim());
    const listening = lines.find((l) => /listening/i.test(l));
    expect(listening).toMatch(/^\[\d{2}:\d{2}:\d{2}\.\d{3}\] INFO: Server listening at http:\/\/127\.0\.0\.1:\d+/);
    for (const line of lines) expect(() => JSON.parse(line)).toThrow();
    expect(stderr).toContain('eventrag is running');
    expect(stderr).not.toContain('admin key');
  });
});

// On a terminal (a pseudo-terminal from util-linux `script`) with LOG_FORMAT unset: pretty lines.
const SCRIPT = '/usr/bin/script';
const ON_TTY = `
  const { spawn } = require('node:child_process');
  const child = spawn(process.execPath, [${JSON.stringify(BIN)}, 'serve'], { stdio: ['ignore', 'inherit', 'pipe'] });
  let banner = '';
  child.stderr.on('data', (chunk) => { banner += chunk; if (banner.includes('Backends')) child.kill('SIGTERM'); });
  child.on('exit', (code) => process.exit(code ?? 1));
`;

describe.skipIf(!existsSync(SCRIPT))(`eventrag serve on a terminal${existsSync(SCRIPT) ? '' : ' (skipped: /usr/bin/script not present)'}`, () => {
  it('logs readable lines when LOG_FORMAT is unset, and JSON with NODE_ENV=production', { timeout: 180_000 }, async () => {
    const wrapper = join(dataDir, 'on-tty.cjs');
    writeFileSync(wrapper, ON_TTY);
    const onTerminal = (settings: Record<string, string>) => new Promise<string>((resolve, reject) => {
      const env = childEnv({ PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'info', ...settings });
      delete env.LOG_FORMAT;
      execFile(SCRIPT, ['-qec', `${process.execPath} ${wrapper}`, '/dev/null'], { cwd: ROOT, env, timeout: 90_000 },
        (error, stdout) => (error ? reject(error) : resolve(stdout)));
    });
    const pretty = (await onTerminal({})).split(/\r?\n/).find((l) => /listening/i.test(l));
    expect(pretty).toMatch(/INFO.*Server listening at http:\/\/127\.0\.0\.1:\d+/);
    expect(() => JSON.parse(pretty!)).toThrow();
    const production = (await onTerminal({ NODE_ENV: 'production' })).split(/\r?\n/).find((l) => /listening/i.test(l));
    expect(JSON.parse(production!)).toMatchObject({ level: 30, msg: expect.stringMatching(/Server listening/) });
  });
});

describe('eventrag usage', { timeout: 90_000 }, () => {
  const run = (args: string[]) => new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: ROOT, env: childEnv({ DATA_DIR: dataDir }), timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (error as { code?: number }).code ?? null : 0, stdout, stderr });
    });
  });

  it('prints the usage for --help, listing the demo command', async () => {
    const { code, stdout } = await run(['--help']);
    expect(code).toBe(0);
    expect(stdout).toContain('usage: eventrag <command>');
    expect(stdout).toContain('demo [--url http://localhost:3000] [--key KEY]');
  });

  it('eval names the files a dataset folder lacks instead of failing on the first read', async () => {
    const { code, stderr } = await run(['eval', '--dataset', join(dataDir, 'no-such-dataset')]);
    expect(code).toBe(2);
    expect(stderr).toBe(`eventrag: ${join(dataDir, 'no-such-dataset')} is not a BEIR dataset folder: corpus.jsonl, queries.jsonl, qrels/test.tsv missing\n`);
  });
});

describe('chooseLogFormat', () => {
  it('is pretty on a terminal, JSON when piped or in production, and LOG_FORMAT wins', () => {
    expect(chooseLogFormat({}, true)).toBe('pretty');
    expect(chooseLogFormat({}, false)).toBe('json');
    expect(chooseLogFormat({ NODE_ENV: 'production' }, true)).toBe('json');
    expect(chooseLogFormat({ LOG_FORMAT: 'json' }, true)).toBe('json');
    expect(chooseLogFormat({ LOG_FORMAT: 'pretty', NODE_ENV: 'production' }, false)).toBe('pretty');
  });
});
