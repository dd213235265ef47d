/** The `eventrag` command, run as a child process against a fresh data directory. */
import { execFile } from 'node:child_process';
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

describe('eventrag CLI', () => {
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
    const { stdout } = await cli('replay', '--tenant', 'acme', '--consumer', 'stats', '--types', 'page.*', '--dry-run');
    expect(JSON.parse(stdout)).toEqual({ count: 0, dryRun: true });
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
