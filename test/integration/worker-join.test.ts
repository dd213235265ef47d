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
import { consumersOf, drained, expectAppliedOnce, ProbeLoad, type PartitionRow } from '../helpers/cluster-load.js';
import { deleteStream } from '../helpers/nats.js';
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
  // A steady stream rather than a flood: the workers keep up, so partitions have work while they move.
  probes = new ProbeLoad(() => [api], { label: 'wj', articleEvery: 4, users: 11, ingestKey, pauseMs: 20 });
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

/** What the clients send and were told. */
let probes: ProbeLoad;
const consumers = () => consumersOf(api, adminKey);

async function indexerPartitions(): Promise<PartitionRow[]> {
  return (await consumers()).find((c) => c.name === 'indexer')!.partitions;
}

const ownersOf = (partitions: PartitionRow[]) => new Set(partitions.map((p) => p.owner).filter((o) => o !== null));

describe('a third worker joins mid-load (PostgreSQL + NATS)', () => {
  it('takes a share of the indexer\'s partitions and moves their positions; every event is applied once', { timeout: 3 * BOOT_MS }, async () => {
    const senders = Array.from({ length: 3 }, (_, sender) => probes.send(sender));
    let first: Set<string | null>;
    let taken: PartitionRow[];
    try {
      await probes.sendFor(200);
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
      await probes.sendFor(300);
    } finally {
      probes.stopped = true;
      await Promise.all(senders);
    }
    expect(probes.rejected).toEqual([]);

    const total = await drained(db, probes, consumers, workers);

    // The newcomer worked what it took: its partitions stand past where it found them.
    const end = await indexerPartitions();
    expect(ownersOf(end).size).toBe(3);
    const newcomer = taken[0]!.owner;
    const stillItsOwn = taken.filter((p) => end.find((e) => e.partition === p.partition)!.owner === newcomer);
    expect(stillItsOwn.length).toBeGreaterThan(0);
    for (const p of stillItsOwn) expect(end.find((e) => e.partition === p.partition)!.position, `partition ${p.partition}`).toBeGreaterThan(p.position);
    console.info(`worker-join: ${probes.acked.size} events; indexer partitions by owner: ${JSON.stringify(end.map((p) => [p.partition, p.owner]))}`);

    await expectAppliedOnce(db, probes, total, stream, `${prefix}.evt.>`);
  });
});
