/** The `eventrag` command, run as a child process against a fresh data directory. */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const BIN = new URL('../../bin/eventrag', import.meta.url).pathname;
const dataDir = mkdtempSync(join(tmpdir(), 'eventrag-cli-'));
const env = { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: 'silent', DATABASE_URL: '', NATS_URL: '', REDIS_URL: '' };
const cli = (...args: string[]) => run(process.execPath, [BIN, ...args], { env });

afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

// Each test spawns several CLI processes (about 2 s of start-up each on 2 cores), so it gets more than the default 30 s.
describe('eventrag CLI', { timeout: 90_000 }, () => {
  it('migrates, creates tenants idempotently and prints a key alone', async () => {
    await cli('migrate');
    const first = JSON.parse((await cli('tenants', 'create', 'acme')).stdout);
    const again = JSON.parse((await cli('tenants', 'create', 'acme')).stdout);
    expect(first).toMatchObject({ slug: 'acme', created: true });
    expect(again).toMatchObject({ id: first.id, created: false });
    const { stdout } = await cli('keys', 'create', '--tenant', 'acme', '--role', 'member', '--user', 'u1');
    expect(stdout).toMatch(/^er_member_[A-Za-z0-9_-]{32}\n$/);
  });

  it('replays by selection (dry run counts)', async () => {
    const { stdout } = await cli('replay', '--tenant', 'acme', '--consumer', 'indexer', '--types', 'page.*', '--dry-run');
    expect(JSON.parse(stdout)).toEqual({ count: 0, dryRun: true });
    // A projection rebuilt per tenant (stats) takes no selection, and says so.
    await expect(cli('replay', '--tenant', 'acme', '--consumer', 'stats', '--types', 'page.*', '--dry-run'))
      .rejects.toMatchObject({ stderr: expect.stringContaining('rebuilt for the whole tenant') });
  });

  it('resets a consumer to the start of the log (--reset), never a per-tenant projection', async () => {
    const { stdout } = await cli('replay', '--consumer', 'indexer', '--reset');
    expect(JSON.parse(stdout)).toEqual({ consumer: 'indexer', position: 0 });
    await expect(cli('replay', '--consumer', 'stats', '--reset')).rejects.toMatchObject({ stderr: expect.stringContaining('rebuild it per tenant') });
  });

  it('fails clearly on bad input', async () => {
    await expect(cli('keys', 'create', '--tenant', 'acme', '--role', 'member')).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('--user') });
    await expect(cli('keys', 'create', '--tenant', 'ghost', '--role', 'admin')).rejects.toMatchObject({ stderr: expect.stringContaining('no tenant ghost') });
    await expect(cli('replay', '--tenant', 'acme', '--consumer', 'nope')).rejects.toMatchObject({ stderr: expect.stringContaining('no consumer named nope') });
    await expect(cli('frobnicate')).rejects.toMatchObject({ code: 2 });
  });

  it('reports every invalid setting at once and exits non-zero', async () => {
    const failed = run(process.execPath, [BIN, 'migrate'], { env: { ...env, PORT: 'x', ROLE: 'boss' } });
    await expect(failed).rejects.toMatchObject({ code: 1, stderr: expect.stringMatching(/PORT[\s\S]*ROLE|ROLE[\s\S]*PORT/) });
  });
});

describe('eventrag ingest and search', { timeout: 90_000 }, () => {
  it('appends JSON lines of events, reporting rejected lines, and searches what a worker indexed', { timeout: 90_000 }, async () => {
    const { writeFileSync } = await import('node:fs');
    const file = join(dataDir, 'events.jsonl');
    writeFileSync(file, [
      JSON.stringify({ type: 'article.created', data: { articleId: 'c1', name: 'Torque wrench', description: 'Click-type torque wrench' } }),
      '{not json',
      JSON.stringify({ type: 'article.created', data: { articleId: 'c2' } }),
    ].join('\n'));
    const failed = cli('ingest', '--tenant', 'acme', '--file', file);
    const error = await failed.then(() => null, (e: { stdout: string; code: number }) => e);
    expect(error?.code).toBe(1);
    const summary = JSON.parse(error!.stdout);
    expect(summary).toMatchObject({ accepted: 1, rejected: 2 });
    expect(summary.errors.map((e: { line: number }) => e.line)).toEqual([2, 3]);
    // A worker applies the logged event to the index; then the CLI finds it.
    // PORT 0: the worker's health/metrics server takes any free port.
    const worker = spawn(process.execPath, [BIN, 'worker'], { env: { ...env, PORT: '0' }, stdio: 'ignore' });
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    try {
      let stdout = '';
      for (let attempt = 0; attempt < 10 && !stdout.includes('c1'); attempt++) {
        stdout = await cli('search', '--tenant', 'acme', '--collections', 'articles', 'torque', 'wrench').then((r) => r.stdout, () => '');
      }
      expect(JSON.parse(stdout.split('\n')[0]!)).toMatchObject({ collection: 'articles', documentId: 'c1' });
    } finally {
      worker.kill('SIGTERM');
      await exited; // it writes its index files on the way out; the data dir is removed after
    }
  });
});
