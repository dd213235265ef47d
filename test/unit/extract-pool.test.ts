/** The extraction pool bounds concurrency, time and memory, and a dying worker never reaches the process. */
import { afterEach, describe, expect, it } from 'vitest';
import { ExtractPool, type ExtractJob } from '../../src/rag/documents/extract.pool.js';

const entry = new URL('../helpers/extract-test.worker.mjs', import.meta.url);
const job = (mode: string): ExtractJob => ({ kind: 'html', data: new TextEncoder().encode(mode).buffer as ArrayBuffer, maxTextBytes: 1024 });
let pool: ExtractPool | undefined;
afterEach(async () => { await pool?.close(); });

describe('ExtractPool', () => {
  it('runs at most `workers` jobs, queues at most `queue`, and refuses more with 429', async () => {
    pool = new ExtractPool({ workers: 1, queue: 1, timeoutMs: 1000, memoryMb: 64, entry });
    const first = pool.run(job('hang'));
    const second = pool.run(job('hang'));
    await expect(pool.run(job('hang'))).rejects.toMatchObject({ code: 'RATE_LIMITED', status: 429 });
    expect(pool.pending).toBe(2);
    await expect(first).resolves.toMatchObject({ ok: false, code: 'DOCUMENT_UNREADABLE', detail: expect.stringContaining('1000 ms') });
    await expect(second).resolves.toMatchObject({ ok: false, code: 'DOCUMENT_UNREADABLE' });
    await expect(pool.run(job('after'))).resolves.toEqual({ ok: true, title: null, text: 'echo after' });
  });

  it('answers 422 when a worker runs out of its heap, and keeps serving', async () => {
    pool = new ExtractPool({ workers: 1, queue: 4, timeoutMs: 20_000, memoryMb: 32, entry });
    const before = process.memoryUsage().rss;
    await expect(pool.run(job('oom'))).resolves.toMatchObject({ ok: false, code: 'DOCUMENT_UNREADABLE', detail: expect.stringContaining('32 MB') });
    await expect(pool.run(job('next'))).resolves.toMatchObject({ ok: true, text: 'echo next' });
    expect(process.memoryUsage().rss - before).toBeLessThan(512 * 1024 * 1024);
  });

  it('answers 422 when a worker throws, and reuses healthy workers', async () => {
    pool = new ExtractPool({ workers: 2, queue: 4, timeoutMs: 5000, memoryMb: 64, entry });
    const results = await Promise.all([pool.run(job('crash')), pool.run(job('a')), pool.run(job('b'))]);
    expect(results[0]).toMatchObject({ ok: false, code: 'DOCUMENT_UNREADABLE' });
    expect(results.slice(1)).toEqual([{ ok: true, title: null, text: 'echo a' }, { ok: true, title: null, text: 'echo b' }]);
  });

  it('refuses waiting and new jobs once closed', async () => {
    pool = new ExtractPool({ workers: 1, queue: 2, timeoutMs: 5000, memoryMb: 64, entry });
    const running = pool.run(job('hang'));
    const waiting = pool.run(job('x')).then(() => 'resolved', (error: unknown) => error);
    await pool.close();
    expect(await waiting).toMatchObject({ code: 'SHUTTING_DOWN' });
    await expect(pool.run(job('y'))).rejects.toMatchObject({ code: 'SHUTTING_DOWN' });
    // Stopped at once (still starting: SHUTTING_DOWN; already running: 422), not left to its 5 s time limit.
    const stopped = await running.catch((error: unknown) => error);
    expect(stopped).toMatchObject({ code: expect.stringMatching(/^(SHUTTING_DOWN|DOCUMENT_UNREADABLE)$/) });
    expect(pool.pending).toBe(0);
  });
});
