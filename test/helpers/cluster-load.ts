/**
 * For the scale-out tests (several eventrag processes on one PostgreSQL schema and NATS stream):
 * a load of numbered probes sent in batches of 10 to the API processes, what their clients were
 * told (probe n → event id), the wait until every consumer has drained, and the checks that each
 * acknowledged event took effect once (stats counts, one document per article from its event,
 * each event once on the stream).
 */
import type pg from 'pg';
import { expect } from 'vitest';
import { eventually } from './app.js';
import { readStream } from './nats.js';
import type { ServerProcess } from './processes.js';

export interface PartitionRow { partition: number; position: number; owner: string | null; lagEvents: number }
export interface ConsumerRow { name: string; delivery: string; pending: number; failed: number; dead: number; lagEvents: number; partitions: PartitionRow[] }

export interface ProbeLoadOptions {
  /** Idempotency keys and probe types carry it (`mp` → `mp-12`, `mp.probe`). */
  label: string;
  /** Every `articleEvery`-th probe is an article.created (fed to the indexer). */
  articleEvery: number;
  users: number;
  ingestKey: string;
  /** Pause between batches of one sender (0: as fast as the APIs answer). */
  pauseMs?: number;
}

export class ProbeLoad {
  /** Probe n → the event id the API acknowledged. */
  readonly acked = new Map<number, string>();
  readonly rejected: string[] = [];
  stopped = false;
  paused = false;
  #next = 0;

  constructor(private readonly apis: () => ServerProcess[], private readonly options: ProbeLoadOptions) {}

  isArticle(n: number): boolean {
    return n % this.options.articleEvery === 0;
  }

  probe(n: number): Record<string, unknown> {
    const { label, users } = this.options;
    return this.isArticle(n)
      ? { type: 'article.created', idempotencyKey: `${label}-${n}`, data: { articleId: `a${n}`, name: `Hex bolt ${n}`, description: 'zinc plated', category: 'bolts' } }
      : { type: `${label}.probe`, userId: `u${n % users}`, idempotencyKey: `${label}-${n}`, data: { n } };
  }

  /** One sender: batches of 10 probes, round robin over the APIs, until stopped. */
  async send(sender: number): Promise<void> {
    for (let round = 0; !this.stopped; round += 1) {
      if (this.paused) { await new Promise((resolve) => setTimeout(resolve, 10)); continue; }
      const apis = this.apis();
      const api = apis[(round + sender) % apis.length]!;
      const ns = Array.from({ length: 10 }, () => this.#next++);
      const res = await fetch(`${api.url}/v1/events/batch`, {
        method: 'POST',
        headers: { authorization: `Bearer ${this.options.ingestKey}`, 'content-type': 'application/json' },
        body: JSON.stringify(ns.map((n) => this.probe(n))),
        signal: AbortSignal.timeout(15_000),
      });
      const body = await res.json() as { results?: Array<{ index: number; id?: string }> };
      if (res.status !== 202 || !body.results) { this.rejected.push(`${res.status} ${JSON.stringify(body)}`); continue; }
      for (const item of body.results) {
        if (item.id) this.acked.set(ns[item.index]!, item.id);
        else this.rejected.push(JSON.stringify(item));
      }
      if (this.options.pauseMs) await new Promise((resolve) => setTimeout(resolve, this.options.pauseMs));
    }
  }

  /** Resolves once `count` more probes were acknowledged. */
  sendFor(count: number, timeoutMs = 30_000): Promise<boolean> {
    const target = this.acked.size + count;
    return eventually(async () => this.acked.size >= target, timeoutMs, 10);
  }
}

export async function consumersOf(api: ServerProcess, adminKey: string): Promise<ConsumerRow[]> {
  const res = await fetch(`${api.url}/v1/consumers`, { headers: { authorization: `Bearer ${adminKey}` } });
  return ((await res.json()) as { items: ConsumerRow[] }).items;
}

const scalar = async (db: pg.Client, text: string) => Number((await db.query(text)).rows[0]?.n ?? 0);

/**
 * Waits until the log holds every acknowledged event, stats counted each, no exception rows are
 * open and no durable consumer lags; returns the number of events. Names the state on a timeout.
 */
export async function drained(db: pg.Client, load: ProbeLoad, consumers: () => Promise<ConsumerRow[]>, workers: ServerProcess[]): Promise<number> {
  let state = {};
  return eventually(async () => {
    const events = await scalar(db, 'select count(*) as n from events');
    const counted = await scalar(db, 'select coalesce(sum(count), 0) as n from event_counts');
    const exceptions = (await db.query(`select consumer, status, count(*) as n from consumer_failures where status <> 'done' group by 1, 2`)).rows;
    const lagging = (await consumers()).filter((c) => c.delivery === 'durable' && (c.lagEvents > 0 || c.pending > 0)).map((c) => `${c.name}: ${c.lagEvents}`);
    state = { acked: load.acked.size, events, counted, exceptions, lagging };
    return events === load.acked.size && counted === events && exceptions.length === 0 && lagging.length === 0 && events;
  }, 40_000, 200).catch((error: unknown) => {
    throw new Error(`not drained: ${JSON.stringify(state)}\n${workers.map((w) => `${w.name}: ${w.output()}`).join('\n')}`, { cause: error });
  });
}

/** Each acknowledged event took effect once: stats, the indexer's documents, the NATS stream. */
export async function expectAppliedOnce(db: pg.Client, load: ProbeLoad, total: number, stream: string, subjects: string): Promise<void> {
  // stats: one count per event (its counts commit with its position: exactly once).
  expect(await scalar(db, 'select coalesce(sum(count), 0) as n from event_counts')).toBe(total);
  // indexer: one document per article, from the event its client was told about.
  const articles = [...load.acked].filter(([n]) => load.isArticle(n));
  const documents = (await db.query<{ id: string; source: string }>(
    `select id, source_event_id as source from documents where collection = 'articles' and deleted = 0`)).rows;
  expect(documents).toHaveLength(articles.length);
  const sourceOf = new Map(documents.map((d) => [d.id, d.source]));
  for (const [n, id] of articles) expect(sourceOf.get(`a${n}`), `article a${n}`).toBe(id);
  // nats-publisher: each event once on the stream (a re-publication is dropped by its message id).
  const published = await readStream(stream, { filter: subjects });
  expect(published).toHaveLength(total);
  expect(new Set(published.map((m) => m.msgId))).toEqual(new Set(load.acked.values()));
}
