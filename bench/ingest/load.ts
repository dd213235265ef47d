/** Load phases over HTTP with autocannon, and the consumer-lag drain after the load stops. */
import { join } from 'node:path';
import autocannon from 'autocannon';
import BetterSqlite3 from 'better-sqlite3';

export interface LoadResult {
  requestsPerSecond: number;
  eventsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  seconds: number;
}

export async function load(url: string, body: string, eventsPerRequest: number, seconds: number, key?: string, connections = 10): Promise<LoadResult> {
  const result = await autocannon({
    url, method: 'POST', body, connections, duration: seconds,
    headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
  });
  if (result.non2xx > 0 || result.errors > 0 || result.timeouts > 0) {
    throw new Error(`${url}: ${result.non2xx} non-2xx answers, ${result.errors} errors, ${result.timeouts} timeouts`);
  }
  const ok = result['2xx'];
  return {
    requestsPerSecond: ok / result.duration,
    eventsPerSecond: (ok * eventsPerRequest) / result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    requests: ok,
    seconds: result.duration,
  };
}

export interface DrainResult {
  /** Consumer lag when the load stopped (previous release: undone deliveries plus un-relayed outbox rows). */
  backlogAtStop: number;
  /** Seconds from the end of the load until every consumer's lag was zero (and an outbox empty). */
  secondsToZero: number;
  storedEvents: number;
}

interface ConsumerRow { name: string; lagEvents: number; dead: number }

/**
 * Polls `GET /v1/consumers` (every consumer's lag) until it is zero everywhere. A previous
 * release's outbox is polled too (events not yet relayed have no deliveries, so its API cannot
 * see them); the log-as-outbox schema has none.
 */
export async function drain(url: string, adminKey: string, dataDir: string, timeoutMs = 120_000): Promise<DrainResult> {
  const started = performance.now();
  const db = new BetterSqlite3(join(dataDir, 'eventrag.db'), { readonly: true, fileMustExist: true });
  try {
    const hasOutbox = db.prepare("select count(*) from sqlite_master where type = 'table' and name = 'outbox'").pluck().get() === 1;
    const outbox = hasOutbox ? db.prepare('select count(*) from outbox').pluck() : null;
    let backlogAtStop: number | null = null;
    for (;;) {
      const res = await fetch(`${url}/v1/consumers`, { headers: { authorization: `Bearer ${adminKey}` } });
      const { items } = await res.json() as { items: ConsumerRow[] };
      const lag = items.reduce((sum, c) => sum + c.lagEvents, 0) + Number(outbox?.get() ?? 0);
      backlogAtStop ??= lag;
      if (lag === 0) {
        const dead = items.reduce((sum, c) => sum + (c.dead ?? 0), 0);
        if (dead > 0) throw new Error(`${dead} deliveries are dead after the load`);
        const storedEvents = Number(db.prepare('select count(*) from events').pluck().get());
        return { backlogAtStop, secondsToZero: (performance.now() - started) / 1000, storedEvents };
      }
      if (performance.now() - started > timeoutMs) throw new Error(`consumer lag still ${lag} after ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    db.close();
  }
}
