/**
 * Scale-out by adding a worker: one `serve --role api` and two `worker` processes on PostgreSQL
 * (a fresh schema) and NATS JetStream (a stream and subject prefix of this run). While events go
 * in, a third worker starts; the indexer's eight partitions are rebalanced so each of the three
 * workers leases some (GET /v1/consumers shows three owners), and the new worker moves the
 * positions of the ones it took. Afterwards every event was applied once: the stats counts equal
 * the log, one document per article from the acknowledged event, each event once on the stream,
 * no lag and no exception rows.
 *
 * Every worker runs the indexer here, so the embedded search index of each process holds part of
 * the documents (QDRANT_URL shares one index); the test checks the documents in the store.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/app.js';
import { deleteStream, readStream } from '../helpers/nats.js';
import { childEnv, killAll, provisionTenant, runCommand, startServer, type ServerProcess } from '../helpers/processes.js';
import { freshPgSchema, natsUrl, uniqueSuffix, type FreshPgSchema } from '../helpers/services.js';

const run = uniqueSuffix();
const stream = `WJ_${run}`;
const prefix = `wj${run}`;
/** Several processes booting at once on a busy 2-core machine take a while. */
const BOOT_MS = 90_000;
let schema: FreshPgSchema;
let db: pg.Client;
let env: NodeJS.ProcessEnv;
let api: ServerProcess;
const workers: ServerProcess[] = [];
let ingestKey: string;
let adminKey: string;

beforeAll(async () => {
  schema = await freshPgSchema();
  env = childEnv({
    DATABASE_URL: schema.connectionString, DATABASE_SCHEMA: schema.schema,
    NATS_URL: natsUrl(), NATS_STREAM: stream, NATS_SUBJECT_PREFIX: prefix,
    // Short leases: rebalancing (every third of a lease) happens within the test.
    CONSUMER_LEASE_MS: '2000', CONSUMER_POLL_MS: '100', SHUTDOWN_GRACE_MS: '2000', LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
    RATE_LIMIT_PER_MINUTE: '1000000', TENANT_RATE_LIMIT_PER_MINUTE: '1000000',
  });
  await runCommand(['migrate'], env);
  ({ ingest: ingestKey, admin: adminKey } = await provisionTenant(schema.connectionString, schema.schema, 'acme', ['ingest', 'admin']) as { ingest: string; admin: string });
  const started = await Promise.all([
    startServer('api', ['serve', '--role', 'api'], env, BOOT_MS),
    startServer('worker-1', ['worker'], env, BOOT_MS),
    startServer('worker-2', ['worker'], env, BOOT_MS),
  ]);
  api = started[0];
  workers.push(started[1], started[2]);
  db = new pg.Client({ connectionString: schema.connectionString, options: `-c search_path=${schema.schema}` });
  await db.connect();
}, 2 * BOOT_MS);

afterAll(async () => {
  await killAll();
  await db?.end();
  await deleteStream(stream).catch(() => undefined);
  await schema?.drop();
});

/** Probe n → the event id the API acknowledged. */
const acked = new Map<number, string>();
const rejected: string[] = [];
let next = 0;
let stopped = false;

const isArticle = (n: number) => n % 4 === 0;
function probe(n: number) {
  return isArticle(n)
    ? { type: 'article.created', idempotencyKey: `wj-${n}`, data: { articleId: `a${n}`, name: `Wing nut ${n}`, description: 'stainless', category: 'nuts' } }
    : { type: 'wj.probe', userId: `u${n % 11}`, idempotencyKey: `wj-${n}`, data: { n } };
}

async function sender(): Promise<void> {
  while (!stopped) {
    const ns = Array.from({ length: 10 }, () => next++);
    const res = await fetch(`${api.url}/v1/events/batch`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ingestKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(ns.map(probe)),
      signal: AbortSignal.timeout(15_000),
    });
    const body = await res.json() as { results?: Array<{ index: number; id?: string }> };
    if (res.status !== 202 || !body.results) { rejected.push(`${res.status} ${JSON.stringify(body)}`); continue; }
    for (const item of body.results) {
      if (item.id) acked.set(ns[item.index]!, item.id);
      else rejected.push(JSON.stringify(item));
    }
    // A steady stream rather than a flood: the workers keep up, so partitions have work while they move.
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const sendFor = (count: number) => {
  const target = acked.size + count;
  return eventually(async () => acked.size >= target, 30_000, 10);
};

const scalar = async (text: string) => Number((await db.query(text)).rows[0]?.n ?? 0);

interface PartitionRow { partition: number; position: number; owner: string | null; lagEvents: number }
interface ConsumerRow { name: string; delivery: string; pending: number; failed: number; dead: number; lagEvents: number; partitions: PartitionRow[] }

async function consumers(): Promise<ConsumerRow[]> {
  const res = await fetch(`${api.url}/v1/consumers`, { headers: { authorization: `Bearer ${adminKey}` } });
  return ((await res.json()) as { items: ConsumerRow[] }).items;
}

async function indexerPartitions(): Promise<PartitionRow[]> {
  return (await consumers()).find((c) => c.name === 'indexer')!.partitions;
}

const ownersOf = (partitions: PartitionRow[]) => new Set(partitions.map((p) => p.owner).filter((o) => o !== null));

describe('a third worker joins mid-load (PostgreSQL + NATS)', () => {
  it('takes a share of the indexer\'s partitions and moves their positions; every event is applied once', { timeout: 3 * BOOT_MS }, async () => {
    const senders = Array.from({ length: 3 }, () => sender());
    let first: Set<string | null>;
    let taken: PartitionRow[];
    try {
      await sendFor(200);
      const before = await eventually(async () => {
        const partitions = await indexerPartitions();
        return ownersOf(partitions).size === 2 && partitions;
      }, 20_000, 100);
      first = ownersOf(before);

      workers.push(await startServer('worker-3', ['worker'], env, BOOT_MS));
      const moved = await eventually(async () => {
        const partitions = await indexerPartitions();
        return ownersOf(partitions).size === 3 && partitions.every((p) => p.owner !== null) && partitions;
      }, 30_000, 100);
      // The newcomer's partitions, and where they stood when it took them.
      taken = moved.filter((p) => !first.has(p.owner));
      expect(taken.length).toBeGreaterThanOrEqual(2); // a fair share of 8 among 3
      await sendFor(300);
    } finally {
      stopped = true;
      await Promise.all(senders);
    }
    expect(rejected).toEqual([]);

    let state = {};
    const total = await eventually(async () => {
      const events = await scalar('select count(*) as n from events');
      const counted = await scalar('select coalesce(sum(count), 0) as n from event_counts');
      const exceptions = (await db.query(`select consumer, status, count(*) as n from consumer_failures where status <> 'done' group by 1, 2`)).rows;
      const lagging = (await consumers()).filter((c) => c.delivery === 'durable' && (c.lagEvents > 0 || c.pending > 0)).map((c) => `${c.name}: ${c.lagEvents}`);
      state = { acked: acked.size, events, counted, exceptions, lagging };
      return events === acked.size && counted === events && exceptions.length === 0 && lagging.length === 0 && events;
    }, 40_000, 200).catch((error: unknown) => { throw new Error(`not drained: ${JSON.stringify(state)}\n${workers.map((w) => `${w.name}: ${w.output()}`).join('\n')}`, { cause: error }); });

    // The newcomer worked what it took: its partitions stand past where it found them.
    const end = await indexerPartitions();
    expect(ownersOf(end).size).toBe(3);
    const newcomer = taken[0]!.owner;
    const stillItsOwn = taken.filter((p) => end.find((e) => e.partition === p.partition)!.owner === newcomer);
    expect(stillItsOwn.length).toBeGreaterThan(0);
    for (const p of stillItsOwn) expect(end.find((e) => e.partition === p.partition)!.position, `partition ${p.partition}`).toBeGreaterThan(p.position);
    console.info(`worker-join: ${acked.size} events; indexer partitions by owner: ${JSON.stringify(end.map((p) => [p.partition, p.owner]))}`);

    // Exactly once: one count per event in the stats projection.
    expect(await scalar('select coalesce(sum(count), 0) as n from event_counts')).toBe(total);
    // One document per article, from the event its client was told about.
    const articles = [...acked].filter(([n]) => isArticle(n));
    const documents = (await db.query<{ id: string; source: string }>(
      `select id, source_event_id as source from documents where collection = 'articles' and deleted = 0`)).rows;
    expect(documents).toHaveLength(articles.length);
    const sourceOf = new Map(documents.map((d) => [d.id, d.source]));
    for (const [n, id] of articles) expect(sourceOf.get(`a${n}`), `article a${n}`).toBe(id);
    // Each event once on the stream.
    const published = await readStream(stream, { filter: `${prefix}.evt.>` });
    expect(published).toHaveLength(total);
    expect(new Set(published.map((m) => m.msgId))).toEqual(new Set(acked.values()));
  });
});
