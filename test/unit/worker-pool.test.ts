/** The generic worker pool bounds concurrency, queue, time and memory; a dying worker fails only its own job. */
import { afterEach, describe, expect, it } from 'vitest';
import { WorkerPool, type WorkerFailure, type WorkerPoolOptions } from '../../src/platform/worker-pool.js';

type Result = { echo: string; thread: number } | { failed: WorkerFailure };
const entry = new URL('../helpers/worker-pool-test.worker.mjs', import.meta.url);
let pool: WorkerPool<string, Result> | undefined;
afterEach(async () => { await pool?.close(); pool = undefined; });

function create(options: Partial<WorkerPoolOptions<string, Result>> = {}): WorkerPool<string, Result> {
  pool = new WorkerPool<string, Result>({
    entry, name: 'test', workers: 1, queue: 1, memoryMb: 64, busyDetail: 'busy',
    timeLimit: () => 500,
    failed: (failure) => ({ failed: failure }),
    stageOf: (message) => (typeof message === 'object' && message !== null && 'stage' in message ? String(message.stage) : undefined),
    ...options,
  });
  return pool;
}
const thread = (result: Result) => ('thread' in result ? result.thread : -1);

describe('WorkerPool', () => {
  it('refuses a job with 429 once the workers are busy and the queue is full', async () => {
    const p = create({ workers: 1, queue: 1 });
    const running = p.run('hang');
    const waiting = p.run('hang');
    await expect(p.run('third')).rejects.toMatchObject({ code: 'RATE_LIMITED', status: 429, message: 'busy' });
    expect(p.pending).toBe(2);
    await expect(running).resolves.toMatchObject({ failed: { reason: 'timeout', limitMs: 500 } });
    await expect(waiting).resolves.toMatchObject({ failed: { reason: 'timeout' } });
  });

  it('replaces a worker that ran out of time; the next job runs in a fresh one, a healthy one is reused', async () => {
    const p = create();
    const first = thread(await p.run('a'));
    expect(thread(await p.run('b'))).toBe(first);
    await expect(p.run('hang')).resolves.toEqual({ failed: { reason: 'timeout', stage: undefined, limitMs: 500, memoryMb: 64 } });
    const after = await p.run('c');
    expect(after).toMatchObject({ echo: 'c' });
    expect(thread(after)).not.toBe(first);
  });

  it('restarts the clock with the limit of the stage a worker announces', async () => {
    const p = create({ timeLimit: (_job, stage) => (stage === 'slow' ? 300 : 60_000) });
    await expect(p.run('stage-then-hang')).resolves.toMatchObject({ failed: { reason: 'timeout', stage: 'slow', limitMs: 300 } });
  });

  it('maps a worker out of its heap, and one that throws, to their failures and keeps serving', async () => {
    const p = create({ workers: 2, queue: 4, memoryMb: 32, timeLimit: () => 30_000 });
    const before = process.memoryUsage().rss;
    const [oom, crash, ok] = await Promise.all([p.run('oom'), p.run('crash'), p.run('ok')]);
    expect(oom).toMatchObject({ failed: { reason: 'memory', memoryMb: 32 } });
    expect(crash).toMatchObject({ failed: { reason: 'crash' } });
    expect(ok).toMatchObject({ echo: 'ok' });
    await expect(p.run('next')).resolves.toMatchObject({ echo: 'next' });
    expect(process.memoryUsage().rss - before).toBeLessThan(512 * 1024 * 1024);
  });

  it('refuses a key past perKeyLimit while another key is still served', async () => {
    const p = create({ workers: 1, queue: 10, perKeyLimit: 2, timeLimit: (job) => (job === 'hang' ? 300 : 60_000) });
    const held = [p.run('hang', 'noisy'), p.run('hang', 'noisy')];
    await expect(p.run('third', 'noisy')).rejects.toMatchObject({ code: 'RATE_LIMITED', status: 429 });
    await expect(p.run('quiet', 'calm')).resolves.toMatchObject({ echo: 'quiet' });
    await Promise.all(held);
    await expect(p.run('again', 'noisy')).resolves.toMatchObject({ echo: 'again' });
  });

  it('lets keys take turns: a waiting job of an idle key runs before another of a busy key', async () => {
    const p = create({ workers: 2, queue: 4, timeLimit: (job) => (job === 'hang' ? 300 : 60_000) });
    // Settles with a timeout, or with SHUTTING_DOWN when close comes before its worker started (a busy machine).
    const first = p.run('hang', 'a').catch(() => undefined);
    const blocking = p.run('hang-long', 'a').catch(() => undefined); // holds a worker until closed
    const a = p.run('a-next', 'a').then(() => 'a', () => 'a');
    const b = p.run('b-first', 'b').then(() => 'b');
    // The first worker to free up (its job ran out of time) takes b's job, though a's waited longer.
    expect(await Promise.race([a, b])).toBe('b');
    await p.close();
    await Promise.all([a, blocking, first]);
  });

  it('stops idle workers after idleMs', async () => {
    const p = create({ idleMs: 20 });
    const first = thread(await p.run('a'));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(thread(await p.run('b'))).not.toBe(first);
  });

  it('rejects waiting and new jobs once closed and stops running ones at once', async () => {
    const p = create({ workers: 1, queue: 2, timeLimit: () => 60_000 });
    const running = p.run('hang').catch((error: unknown) => error);
    const waiting = p.run('x').then(() => 'resolved', (error: unknown) => error);
    await p.close();
    expect(await waiting).toMatchObject({ code: 'SHUTTING_DOWN' });
    await expect(p.run('y')).rejects.toMatchObject({ code: 'SHUTTING_DOWN' });
    // Still starting: SHUTTING_DOWN; already running: its worker was stopped (crash), not left to its 60 s limit.
    const stopped = await running;
    expect(stopped).toSatisfy((value: unknown) => (value as { code?: string }).code === 'SHUTTING_DOWN' || (value as Result & { failed?: WorkerFailure }).failed?.reason === 'crash');
    expect(p.pending).toBe(0);
  });
});
