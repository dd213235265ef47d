/**
 * Item 9 of the event backbone: the real server, as a child process on a real SQLite file, is
 * killed with SIGKILL twice while clients keep sending events. The test then proves that every
 * event that got a 2xx is in the log, that no event is stored twice (unanswered requests are
 * stored once or not at all; retried ones with their idempotency key exactly once), and that the
 * consumers applied each stored event exactly once in effect once their lag has drained (stats
 * counts each event once: its counts and its position commit together).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/app.js';

const ROOT = join(import.meta.dirname, '..', '..');
const SENDERS = 4;
const TYPE = 'crash.probe';

interface Server { child: ChildProcess; stderr: () => string }

const dataDir = mkdtempSync(join(tmpdir(), 'eventrag-crash-'));
const children = new Set<ChildProcess>();
let port = 0;

afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer().once('error', reject).listen(0, '127.0.0.1', () => {
      const { port: free } = probe.address() as { port: number };
      probe.close(() => resolve(free));
    });
  });
}

async function startServer(): Promise<Server> {
  const env: NodeJS.ProcessEnv = {
    ...process.env, DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn',
    // A short lease so the claims of the killed process are taken again within the test.
    CONSUMER_LEASE_MS: '1500', CONSUMER_POLL_MS: '100',
    RATE_LIMIT_PER_MINUTE: '1000000', TENANT_RATE_LIMIT_PER_MINUTE: '1000000',
  };
  for (const remote of ['DATABASE_URL', 'NATS_URL', 'REDIS_URL', 'QDRANT_URL', 'CONFIG_FILE']) delete env[remote];
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'eventrag'), 'serve'], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk; });
  await eventually(async () => {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}:\n${stderr}`);
    const res = await fetch(`http://127.0.0.1:${port}/health/ready`).catch(() => null);
    return res?.ok;
  }, 25_000, 50);
  return { child, stderr: () => stderr };
}

async function kill(server: Server): Promise<void> {
  const exited = new Promise((resolve) => server.child.once('exit', resolve));
  server.child.kill('SIGKILL');
  await exited;
}

/** What the clients know about each probe `n` (its data id and idempotency key `probe-n`). */
const acked = new Map<number, string>();
const unanswered = new Set<number>();
const rejected: string[] = [];
let next = 0;
let paused = false;
let stopped = false;
let requests = 0;
let duplicates = 0;

type Item = { index: number; status: string; id?: string; error?: unknown };

function probe(n: number) {
  return { type: TYPE, userId: `u${n % 7}`, idempotencyKey: `probe-${n}`, data: { n } };
}

/** Sends probes `ns` (one alone, or as a batch) and records each outcome. */
async function send(ingestKey: string, ns: number[], single: boolean): Promise<void> {
  requests += 1;
  const url = `http://127.0.0.1:${port}/v1/events${single ? '' : '/batch'}`;
  let res: Response;
  let body: unknown;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${ingestKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(single ? probe(ns[0]!) : ns.map(probe)),
      signal: AbortSignal.timeout(10_000),
    });
    body = await res.json();
  } catch {
    for (const n of ns) unanswered.add(n); // no answer: it may or may not have been committed
    return;
  }
  if (res.status !== 202) { rejected.push(`${res.status} ${JSON.stringify(body)}`); return; }
  if (single) { accept(ns[0]!, (body as { id: string }).id); return; }
  for (const item of (body as { results: Item[] }).results) {
    if (item.status === 'duplicate') duplicates += 1; // a retry of a probe committed before the kill
    if (item.id) accept(ns[item.index]!, item.id);
    else rejected.push(JSON.stringify(item));
  }
}

function accept(n: number, id: string): void {
  acked.set(n, id);
  unanswered.delete(n);
}

async function sender(worker: number, ingestKey: string): Promise<void> {
  for (let round = 0; !stopped; round += 1) {
    if (paused) { await new Promise((resolve) => setTimeout(resolve, 10)); continue; }
    const single = (round + worker) % 3 === 0;
    const size = single ? 1 : 5 + ((round * 7 + worker) % 20);
    const ns = Array.from({ length: size }, () => next++);
    await send(ingestKey, ns, single);
  }
}

/** Lets the senders run until `count` more probes were acknowledged. */
async function sendFor(count: number): Promise<void> {
  const target = acked.size + count;
  paused = false;
  await eventually(async () => acked.size >= target, 20_000, 5);
}

describe('crash recovery (SIGKILL mid-stream)', () => {
  it('keeps every acknowledged event, stores none twice, and applies each exactly once', { timeout: 90_000 }, async () => {
    port = await freePort();
    let server = await startServer();
    const ingestKey = /ingest key: (\S+)/.exec(server.stderr())?.[1];
    const adminKey = /admin key : (\S+)/.exec(server.stderr())?.[1];
    if (!ingestKey || !adminKey) throw new Error(`no demo keys on stderr:\n${server.stderr()}`);

    const senders = Array.from({ length: SENDERS }, (_, worker) => sender(worker, ingestKey));
    const retried = new Set<number>();
    for (let crash = 0; crash < 2; crash += 1) {
      await sendFor(400);
      paused = true; // takes effect after the requests in flight: the senders never wait between them
      await kill(server);
      server = await startServer();
      // A client retries half of what got no answer, with the same idempotency key.
      const retry = [...unanswered].filter((n) => n % 2 === 0 && !retried.has(n));
      for (const n of retry) retried.add(n);
      if (retry.length > 0) await send(ingestKey, retry, false);
    }
    await sendFor(300);
    stopped = true;
    await Promise.all(senders);

    const admin = { authorization: `Bearer ${adminKey}` };
    const drained = await eventually(async () => {
      const res = await fetch(`http://127.0.0.1:${port}/v1/consumers`, { headers: admin });
      const { items } = await res.json() as { items: Array<{ name: string; delivery: string; pending: number; processing: number; failed: number; dead: number }> };
      const durable = items.filter((c) => c.delivery === 'durable');
      return durable.every((c) => c.pending + c.processing + c.failed === 0) && durable;
    }, 30_000, 100);

    const db = new Database(join(dataDir, 'eventrag.db'), { readonly: true, fileMustExist: true });
    try {
      const scalar = (query: string, ...params: unknown[]) => Number(db.prepare(query).pluck().get(...params));
      const stored = new Map<number, string[]>();
      for (const row of db.prepare(`select id, json_extract(data, '$.n') as n from events where type = ?`).all(TYPE) as Array<{ id: string; n: number }>) {
        stored.set(row.n, [...(stored.get(row.n) ?? []), row.id]);
      }
      const storedProbes = [...stored.values()].reduce((sum, ids) => sum + ids.length, 0);
      const total = scalar('select count(*) from events');
      console.info(`crash test: ${requests} requests, ${next} probes, ${acked.size} acknowledged, ${retried.size} unanswered retried (${duplicates} of them had been committed), `
        + `${unanswered.size} unanswered left, ${storedProbes} stored (${[...unanswered].filter((n) => stored.has(n)).length} of them unanswered)`);

      expect(rejected).toEqual([]);
      expect(retried.size + unanswered.size).toBeGreaterThan(0); // the kills did land mid-request
      // Every acknowledged probe is in the log, once, under the id the client was given.
      for (const [n, id] of acked) expect(stored.get(n), `probe ${n}`).toEqual([id]);
      // Never twice: not for unanswered probes, not for anything else.
      expect([...stored].filter(([, ids]) => ids.length > 1)).toEqual([]);
      for (const n of stored.keys()) expect(acked.has(n) || unanswered.has(n), `probe ${n} was sent`).toBe(true);
      for (const n of retried) expect(acked.has(n), `retried probe ${n} is acknowledged`).toBe(true);
      expect(scalar('select count(*) from (select idempotency_key from events where type = ? group by idempotency_key having count(*) > 1)', TYPE)).toBe(0);

      // Every durable consumer drained with nothing dead; the log is the outbox, so "relayed" is
      // the stats consumer's position standing at the head of the log.
      for (const consumer of drained) expect(consumer, consumer.name).toMatchObject({ pending: 0, processing: 0, failed: 0, dead: 0 });
      expect(scalar(`select min(position) from consumer_positions where consumer = 'stats'`)).toBe(scalar('select max(seq) from events'));
      expect(scalar('select count(distinct seq) from events')).toBe(total);
      // stats: exactly once in effect with no per-event bookkeeping: one count per stored event, no exception rows.
      expect(scalar(`select count(*) from consumer_failures where consumer = 'stats'`)).toBe(0);
      expect(scalar('select coalesce(sum(count), 0) from event_counts')).toBe(total);
      expect(scalar('select coalesce(sum(count), 0) from event_counts where type = ?', TYPE)).toBe(storedProbes);
    } finally {
      db.close();
    }
    await kill(server);
  });
});
