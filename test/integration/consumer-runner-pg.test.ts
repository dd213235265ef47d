/**
 * Two processes (two `Consumers`, each with its own pool and worker name) run one ordered
 * projection with 4 partitions over one PostgreSQL store: the partitions are split between them,
 * move when one stops renewing its leases (a crash: the other takes them once the leases run out)
 * or gives them back on a clean stop; every event is applied exactly once, in key order, even
 * when the crashed process was in the middle of a batch for a partition that moved.
 */
import { randomBytes } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresStore } from '../../src/adapters/sql/postgres.store.js';
import type { SqlStore } from '../../src/adapters/sql/sql-store.js';
import { Consumers } from '../../src/events/consumers/consumer-runner.js';
import { ConsumerRegistry, type ConsumerDefinition } from '../../src/events/consumers/consumer.registry.js';
import { createLogger } from '../../src/platform/logger.js';
import { createMetrics } from '../../src/platform/metrics.js';
import type { LogEntry } from '../../src/ports/events.types.js';
import type { Store } from '../../src/ports/store.port.js';
import { eventually } from '../helpers/app.js';
import { freshPgSchema, type FreshPgSchema } from '../helpers/services.js';
import { makeEvent } from '../contract/store.fixtures.js';

const CONSUMER = 'ordered-projection';
const LEASE_MS = 600;
const USERS = 24;

/** The projection's tables: one row per applied event (with how often it was applied and by whom), the last seq per key. */
async function createProjection(db: Kysely<any>): Promise<void> {
  await db.schema.createTable('projected').addColumn('event_id', 'text', (c) => c.primaryKey()).addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('seq', 'bigint', (c) => c.notNull()).addColumn('applied', 'integer', (c) => c.notNull()).addColumn('worker', 'text', (c) => c.notNull()).execute();
  await db.schema.createTable('projected_last').addColumn('user_id', 'text', (c) => c.primaryKey()).addColumn('seq', 'bigint', (c) => c.notNull()).execute();
  await db.schema.createTable('projected_out_of_order').addColumn('event_id', 'text').addColumn('seq', 'bigint').addColumn('after_seq', 'bigint').execute();
}

/** One simulated process: its own pool, registry and worker name; its lease renewals can be cut (a crash, seen from the others). */
class Process {
  readonly consumers: Consumers;
  /** Every batch this process's handler was given (some roll back). */
  readonly attempted: string[] = [];
  renewing = true;
  /** While set, this process's handler waits inside its transaction until the gate opens. */
  gate: Promise<void> | null = null;

  constructor(readonly name: string, readonly store: SqlStore) {
    const positions = { ...store.positions, acquire: (...args: Parameters<Store['positions']['acquire']>) =>
      (this.renewing ? store.positions.acquire(...args) : Promise.reject(new Error('this process is gone'))) };
    const registry = new ConsumerRegistry();
    registry.register(this.#definition());
    this.consumers = new Consumers({
      store: { ...store, positions }, registry, metrics: createMetrics(), logger: createLogger((process.env.TEST_LOG_LEVEL ?? 'silent') as 'silent'),
      leaseMs: LEASE_MS, pollMs: 40, retry: { maxAttempts: 5, backoffBaseMs: 50, backoffMaxMs: 200 },
    });
  }

  get partitions(): number[] {
    return this.consumers.runner(CONSUMER)?.partitions ?? [];
  }

  #definition(): ConsumerDefinition {
    return {
      name: CONSUMER, description: 'counts each event it applies', types: ['*'], delivery: 'durable', orderBy: 'userId', partitions: 4, batchSize: 25,
      handleBatch: async (events, tx) => {
        this.attempted.push(...events.map((e) => e.id));
        for (const event of events) await apply(tx.db as Kysely<any>, event, this.name);
        if (this.gate) await this.gate;
      },
    };
  }
}

async function apply(db: Kysely<any>, event: LogEntry, worker: string): Promise<void> {
  const last = await db.selectFrom('projected_last').select('seq').where('user_id', '=', event.userId).executeTakeFirst();
  if (last && Number(last.seq) >= event.seq) {
    await db.insertInto('projected_out_of_order').values({ event_id: event.id, seq: event.seq, after_seq: last.seq }).execute();
  }
  await db.insertInto('projected_last').values({ user_id: event.userId, seq: event.seq })
    .onConflict((oc) => oc.column('user_id').doUpdateSet({ seq: event.seq })).execute();
  await db.insertInto('projected').values({ event_id: event.id, user_id: event.userId, seq: event.seq, applied: 1, worker })
    .onConflict((oc) => oc.column('event_id').doUpdateSet({ applied: sql`projected.applied + 1`, worker })).execute();
}

describe('Consumers of two processes over one PostgreSQL store', () => {
  let pgSchema: FreshPgSchema;
  const stores: SqlStore[] = [];
  const processes: Process[] = [];
  let tenant: string;
  let at = Date.UTC(2025, 0, 1);
  const appended: string[] = [];

  const store = () => stores[0]!;
  const db = () => store().db as unknown as Kysely<any>;
  const newStore = () => {
    const s = createPostgresStore({ connectionString: pgSchema.connectionString, schema: pgSchema.schema, maxConnections: 8 });
    stores.push(s);
    return s;
  };
  const start = async (name: string) => {
    const p = new Process(`${name}-${randomBytes(2).toString('hex')}`, newStore());
    processes.push(p);
    await p.consumers.start([CONSUMER]);
    return p;
  };
  /** `perUser` events for each user, appended in batches of mixed users. */
  const appendWave = async (perUser: number) => {
    const events = Array.from({ length: perUser * USERS }, (_, i) => makeEvent(tenant, (at += 1), { userId: `u${i % USERS}` }));
    for (let i = 0; i < events.length; i += 30) await store().events.append(events.slice(i, i + 30), 0);
    appended.push(...events.map((e) => e.id));
  };
  const projected = async () => db().selectFrom('projected').select(['event_id', 'applied', 'worker']).execute();
  const allApplied = async () => ((await projected()).length >= appended.length ? projected() : null);
  const owners = async () => new Map((await store().positions.list(CONSUMER)).map((p) => [p.partition, p.owner]));

  beforeAll(async () => {
    pgSchema = await freshPgSchema('runner');
    await newStore().migrate();
    await createProjection(db());
    tenant = (await store().tenants.ensure('runner')).tenant.id;
  });

  afterAll(async () => {
    for (const p of processes) await p.consumers.stop(0).catch(() => {});
    for (const s of stores) await s.close().catch(() => {});
    await pgSchema?.drop();
  });

  it('splits the partitions, moves a crashed process\'s partitions after its lease, and applies every event once in key order', async () => {
    const a = await start('a');
    await eventually(async () => a.partitions.length === 4);
    const b = await start('b');
    // b joins with nothing (a's leases run); a gives back what is above its share, b takes it.
    await eventually(async () => a.partitions.length === 2 && b.partitions.length === 2);
    expect([...a.partitions, ...b.partitions].sort()).toEqual([0, 1, 2, 3]);
    const byOwner = await owners();
    for (const p of a.partitions) expect(byOwner.get(p)).toBe(a.consumers.owner);
    for (const p of b.partitions) expect(byOwner.get(p)).toBe(b.consumers.owner);

    await appendWave(8);
    const first = await eventually(allApplied, 15_000);
    expect(new Set(first.map((r) => r.worker))).toEqual(new Set([a.name, b.name]));

    // b takes a batch, then stops renewing in the middle of it; its partitions move to a once the leases run out.
    let open!: () => void;
    b.gate = new Promise<void>((resolve) => { open = resolve; });
    const bPartitions = b.partitions;
    const attemptedBefore = b.attempted.length;
    await appendWave(8);
    await eventually(async () => b.attempted.length > attemptedBefore);
    b.renewing = false;
    await eventually(async () => a.partitions.length === 4, 10_000);
    const moved = await owners();
    for (const p of bPartitions) expect(moved.get(p)).toBe(a.consumers.owner);
    // b's transaction goes on: its position no longer moves (a holds the partition), so its writes roll back.
    open();
    const rows = await eventually(allApplied, 15_000);
    const held = b.attempted.slice(attemptedBefore);
    const byEvent = new Map(rows.map((r) => [r.event_id, r]));
    for (const id of held) expect(byEvent.get(id)?.worker).toBe(a.name);
    expect(rows.filter((r) => r.applied !== 1)).toEqual([]);
    expect(new Set(rows.map((r) => r.event_id))).toEqual(new Set(appended));
    expect(await db().selectFrom('projected_out_of_order').selectAll().execute()).toEqual([]);
    await expectPositionsAtHead();
  }, 60_000);

  it('a cleanly stopped process gives its partitions back at once; the other takes them and goes on', async () => {
    const a = processes[0]!;
    const c = await start('c');
    await eventually(async () => a.partitions.length === 2 && c.partitions.length === 2);
    await appendWave(4);
    await eventually(allApplied, 15_000);
    const cPartitions = c.partitions;
    await c.consumers.stop(1_000);
    const released = await owners();
    for (const p of cPartitions) expect(released.get(p)).not.toBe(c.consumers.owner); // given back, not left to run out
    await eventually(async () => a.partitions.length === 4);
    await appendWave(4);
    const rows = await eventually(allApplied, 15_000);
    expect(rows.filter((r) => r.applied !== 1)).toEqual([]);
    expect(rows).toHaveLength(appended.length);
    expect(await db().selectFrom('projected_out_of_order').selectAll().execute()).toEqual([]);
    await expectPositionsAtHead();
  }, 60_000);

  it('a reset of the position while the workers run makes them read the log again from the start', async () => {
    const a = processes[0]!;
    expect(a.partitions).toEqual([0, 1, 2, 3]);
    // A rebuild: the projection is cleared, every partition goes back to 0 (what ReplayService.resetPosition does).
    await db().deleteFrom('projected').execute();
    await db().deleteFrom('projected_last').execute();
    await store().positions.reset(CONSUMER, 0, Date.now());
    await appendWave(2); // the workers are busy again right after the reset
    const rows = await eventually(allApplied, 15_000);
    expect(rows.filter((r) => r.applied !== 1)).toEqual([]);
    expect(new Set(rows.map((r) => r.event_id))).toEqual(new Set(appended));
    expect(await db().selectFrom('projected_out_of_order').selectAll().execute()).toEqual([]);
    await expectPositionsAtHead();
  }, 60_000);

  /** Each key's last applied seq is its last event's, and every partition reaches the head. */
  async function expectPositionsAtHead(): Promise<void> {
    const lastOf = new Map<string, number>();
    for (const entry of await store().events.readAfter(0, 10_000)) lastOf.set(entry.userId!, entry.seq);
    const last = await db().selectFrom('projected_last').select(['user_id', 'seq']).execute();
    expect(new Map(last.map((r) => [r.user_id as string, Number(r.seq)]))).toEqual(lastOf);
    const head = await store().events.head();
    await eventually(async () => (await store().positions.list(CONSUMER)).every((p) => p.position === head), 5_000);
  }
});
