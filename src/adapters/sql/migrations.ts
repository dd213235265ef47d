/**
 * Schema migrations for both SQL dialects, written once with Kysely's schema builder.
 * Later features append migrations to this list (never edit a released one).
 */
import { sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';

export type SqlDialect = 'sqlite' | 'postgres';

const text = 'text' as const;
const ms = 'bigint' as const;

function migration001(dialect: SqlDialect): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema.createTable('tenants')
        .addColumn('id', text, (c) => c.primaryKey())
        .addColumn('slug', text, (c) => c.notNull().unique())
        .addColumn('name', text, (c) => c.notNull())
        .addColumn('settings', text, (c) => c.notNull())
        .addColumn('created_at', ms, (c) => c.notNull())
        .execute();
      await db.schema.createTable('api_keys')
        .addColumn('id', text, (c) => c.primaryKey())
        .addColumn('tenant_id', text, (c) => c.notNull())
        .addColumn('role', text, (c) => c.notNull())
        .addColumn('user_id', text)
        .addColumn('name', text)
        .addColumn('prefix', text, (c) => c.notNull())
        .addColumn('hash', text, (c) => c.notNull().unique())
        .addColumn('created_at', ms, (c) => c.notNull())
        .addColumn('revoked_at', ms)
        .execute();
      await db.schema.createIndex('api_keys_tenant').on('api_keys').columns(['tenant_id']).execute();
      await db.schema.createTable('catalog_types')
        .addColumn('tenant_id', text, (c) => c.notNull())
        .addColumn('type', text, (c) => c.notNull())
        .addColumn('category', text, (c) => c.notNull())
        .addColumn('description', text, (c) => c.notNull())
        .addColumn('schema', text, (c) => c.notNull())
        .addColumn('created_at', ms, (c) => c.notNull())
        .addPrimaryKeyConstraint('catalog_types_pk', ['tenant_id', 'type'])
        .execute();
      await db.schema.createTable('events')
        .addColumn('id', text, (c) => c.primaryKey())
        .addColumn('tenant_id', text, (c) => c.notNull())
        .addColumn('type', text, (c) => c.notNull())
        .addColumn('source', text, (c) => c.notNull())
        .addColumn('subject', text)
        .addColumn('user_id', text)
        .addColumn('session_id', text)
        .addColumn('category', text, (c) => c.notNull())
        .addColumn('source_app', text)
        .addColumn('time', ms, (c) => c.notNull())
        .addColumn('received_at', ms, (c) => c.notNull())
        .addColumn('idempotency_key', text)
        .addColumn('data', text)
        .execute();
      await db.schema.createIndex('events_tenant_id').on('events').columns(['tenant_id', 'id']).execute();
      await db.schema.createIndex('events_tenant_type').on('events').columns(['tenant_id', 'type', 'id']).execute();
      await db.schema.createIndex('events_tenant_user').on('events').columns(['tenant_id', 'user_id', 'id']).execute();
      await db.schema.createTable('idempotency_keys')
        .addColumn('tenant_id', text, (c) => c.notNull())
        .addColumn('key', text, (c) => c.notNull())
        .addColumn('event_id', text, (c) => c.notNull())
        .addColumn('created_at', ms, (c) => c.notNull())
        .addPrimaryKeyConstraint('idempotency_keys_pk', ['tenant_id', 'key'])
        .execute();
      await db.schema.createTable('outbox')
        .addColumn('seq', dialect === 'postgres' ? 'bigserial' : 'integer', (c) =>
          dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement())
        .addColumn('event_id', text, (c) => c.notNull())
        .addColumn('tenant_id', text, (c) => c.notNull())
        .addColumn('type', text, (c) => c.notNull())
        .addColumn('user_id', text)
        .execute();
      await db.schema.createTable('deliveries')
        .addColumn('consumer', text, (c) => c.notNull())
        .addColumn('event_id', text, (c) => c.notNull())
        .addColumn('tenant_id', text, (c) => c.notNull())
        .addColumn('status', text, (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('last_error', text)
        .addColumn('next_attempt_at', ms)
        .addColumn('lease_until', ms)
        .addColumn('ordering_key', text)
        .addColumn('updated_at', ms, (c) => c.notNull())
        .addPrimaryKeyConstraint('deliveries_pk', ['consumer', 'event_id'])
        .execute();
      await db.schema.createIndex('deliveries_due').on('deliveries').columns(['consumer', 'status', 'next_attempt_at']).execute();
      await db.schema.createIndex('deliveries_tenant').on('deliveries').columns(['tenant_id', 'consumer', 'status']).execute();
      await db.schema.createIndex('deliveries_ordering').on('deliveries').columns(['consumer', 'ordering_key', 'event_id']).execute();
      await db.schema.createIndex('deliveries_event').on('deliveries').columns(['event_id']).execute();
      await db.schema.createTable('user_traits')
        .addColumn('tenant_id', text, (c) => c.notNull())
        .addColumn('user_id', text, (c) => c.notNull())
        .addColumn('traits', text, (c) => c.notNull())
        .addColumn('updated_at', ms, (c) => c.notNull())
        .addPrimaryKeyConstraint('user_traits_pk', ['tenant_id', 'user_id'])
        .execute();
      await db.schema.createTable('identity_links')
        .addColumn('tenant_id', text, (c) => c.notNull())
        .addColumn('kind', text, (c) => c.notNull())
        .addColumn('from_id', text, (c) => c.notNull())
        .addColumn('to_id', text, (c) => c.notNull())
        .addColumn('created_at', ms, (c) => c.notNull())
        .addPrimaryKeyConstraint('identity_links_pk', ['tenant_id', 'kind', 'from_id'])
        .execute();
      await db.schema.createTable('event_counts')
        .addColumn('tenant_id', text, (c) => c.notNull())
        .addColumn('type', text, (c) => c.notNull())
        .addColumn('hour', ms, (c) => c.notNull())
        .addColumn('count', ms, (c) => c.notNull())
        .addPrimaryKeyConstraint('event_counts_pk', ['tenant_id', 'type', 'hour'])
        .execute();
      await db.schema.createTable('consumer_applied')
        .addColumn('consumer', text, (c) => c.notNull())
        .addColumn('event_id', text, (c) => c.notNull())
        .addColumn('tenant_id', text, (c) => c.notNull())
        .addPrimaryKeyConstraint('consumer_applied_pk', ['consumer', 'event_id'])
        .execute();
    },
  };
}

/**
 * Claims look for a consumer's deliveries in one state, oldest event first: an index on
 * (consumer, status, event_id) serves that range directly, and replaces the one on
 * next_attempt_at (failed deliveries are few; each index costs every status change a write).
 */
const migration002: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.createIndex('deliveries_claim').on('deliveries').columns(['consumer', 'status', 'event_id']).execute();
    await db.schema.dropIndex('deliveries_due').execute();
  },
};

/**
 * Leaner delivery indexes. The per-tenant index also covers event_id, so consumer counts and
 * the oldest undone delivery are answered from the index alone (no row reads for millions of
 * done deliveries); the ordering index only holds rows that have an ordering key, so unordered
 * consumers do not pay for it on every insert.
 */
const migration003: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.dropIndex('deliveries_tenant').execute();
    await db.schema.createIndex('deliveries_tenant').on('deliveries').columns(['tenant_id', 'consumer', 'status', 'event_id']).execute();
    await db.schema.dropIndex('deliveries_ordering').execute();
    await db.schema.createIndex('deliveries_ordering').on('deliveries').columns(['consumer', 'ordering_key', 'event_id'])
      .where(sql.ref('ordering_key'), 'is not', null).execute();
  },
};

/**
 * Idempotency keys become scoped by the source of the key (`native:`, `cloudevents:`,
 * `segment:`; members' keys also by user) and carry a hash of the normalised item, so a key
 * reused with a different body is a conflict (409), not a silent duplicate. Keys already stored
 * get their scope (CloudEvents by their `ce:` form, Segment by their event's source, else
 * native) so retries sent across the upgrade still dedupe; they have no hash and stay duplicates.
 * The prefixes start with different letters, so no two old keys can map onto one new key.
 * Links are also found by their target (is this id someone's user already?).
 */
const migration004: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.createTable('idempotency_keys_scoped')
      .addColumn('tenant_id', text, (c) => c.notNull())
      .addColumn('key', text, (c) => c.notNull())
      .addColumn('event_id', text, (c) => c.notNull())
      .addColumn('created_at', ms, (c) => c.notNull())
      .addColumn('body_hash', text)
      .addPrimaryKeyConstraint('idempotency_keys_scoped_pk', ['tenant_id', 'key'])
      .execute();
    await sql`insert into idempotency_keys_scoped (tenant_id, key, event_id, created_at, body_hash)
      select k.tenant_id,
        case when k.key like 'ce:%' then 'cloudevents:' || k.key
             when exists (select 1 from events e where e.id = k.event_id and e.source = '/segment') then 'segment:' || k.key
             else 'native:' || k.key end,
        k.event_id, k.created_at, null
      from idempotency_keys k`.execute(db);
    await db.schema.dropTable('idempotency_keys').execute();
    await db.schema.alterTable('idempotency_keys_scoped').renameTo('idempotency_keys').execute();
    await db.schema.createIndex('identity_links_target').on('identity_links').columns(['tenant_id', 'to_id']).execute();
  },
};

/**
 * Events record the role of the principal that sent them (`admin`, `ingest`, `member`), so the
 * indexer can keep members' events out of shared collections. Events stored before stay null
 * (and keep being applied as before, so replays of history are unchanged).
 */
const migration005: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.alterTable('events').addColumn('sender_role', text).execute();
  },
};

/** JSON's escaped NUL: PostgreSQL's json operators refuse documents holding one. */
const JSON_NUL = '\\u0000';

/** Fills `anonymous_id` from `data.anonymousId` of the Segment events already stored. */
async function backfillAnonymousIds(db: Kysely<any>, dialect: SqlDialect): Promise<void> {
  if (dialect === 'sqlite') {
    await sql`update events set anonymous_id = json_extract(data, '$.anonymousId')
      where source = '/segment' and json_valid(data) and json_type(data, '$.anonymousId') = 'text'`.execute(db);
    return;
  }
  await sql`update events set anonymous_id = data::json ->> 'anonymousId'
    where source = '/segment' and data is not null
      and case when strpos(data, ${JSON_NUL}) = 0 then json_typeof(data::json -> 'anonymousId') = 'string' else false end`.execute(db);
  // The few documents with an escaped NUL are read here instead.
  const rows = await sql<{ id: string; data: string }>`select id, data from events
    where source = '/segment' and data is not null and strpos(data, ${JSON_NUL}) > 0`.execute(db);
  for (const row of rows.rows) {
    const id = (JSON.parse(row.data) as { anonymousId?: unknown }).anonymousId;
    if (typeof id === 'string' && id !== '') await sql`update events set anonymous_id = ${id} where id = ${row.id}`.execute(db);
  }
}

/** Tenant-wide idempotency keys (`<format>:<key>`) become `<format>:t:<key>`; members' keep `<format>:u:<user>:<key>`. */
async function markTenantKeys(db: Kysely<any>): Promise<void> {
  const formats = ['native:', 'cloudevents:', 'segment:'];
  // Step one marks tenant-wide rows with `~` (no key starts with it), so step two never meets a key it renames onto.
  for (const format of formats) {
    const n = format.length;
    await sql`update idempotency_keys set key = '~' || key
      where substr(key, 1, ${n}) = ${format}
        and (substr(key, ${n + 1}, 2) <> 'u:' or exists (select 1 from events e
          where e.id = idempotency_keys.event_id and e.sender_role in ('admin', 'ingest')))`.execute(db);
  }
  for (const format of formats) {
    const n = format.length;
    await sql`update idempotency_keys set key = ${format} || 't:' || substr(key, ${n + 2})
      where substr(key, 1, ${n + 1}) = ${'~' + format}`.execute(db);
  }
}

/**
 * Segment events keep their anonymous id in an indexed column (backfilled from `data`), so a
 * member's claim on an anonymous id is checked against every visitor's events without a scan.
 * Idempotency keys of ingest and admin keys get their own marker (`t:`), so no tenant-wide key
 * can land in a member's scope (`u:<user>:`). A key of the old form that starts with `u:` stays
 * a member's unless its event was sent by an ingest or admin key.
 */
function migration006(dialect: SqlDialect): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema.alterTable('events').addColumn('anonymous_id', text).execute();
      await backfillAnonymousIds(db, dialect);
      await db.schema.createIndex('events_tenant_anonymous').on('events').columns(['tenant_id', 'anonymous_id', 'user_id'])
        .where(sql.ref('anonymous_id'), 'is not', null).execute();
      await markTenantKeys(db);
    },
  };
}

/**
 * The log is the outbox. Events get their position in the log (`seq`, assigned at append in
 * commit order); each consumer keeps a position per partition (`consumer_positions`, with the
 * lease of the worker that owns it), and only exceptions are rows (`consumer_failures`: failed,
 * parked behind a failed event of the same key, dead, or done after a failure). Replays are
 * cursors (`consumer_replays`). The outbox, the per-event deliveries and `consumer_applied`
 * go. Each consumer's position starts below the oldest event it had not finished (or that was
 * still in the outbox), so nothing undone is skipped; dead deliveries stay dead.
 */
function migration007(dialect: SqlDialect): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema.alterTable('events').addColumn('seq', ms).execute();
      await sql`update events set seq = o.rn from (select id, row_number() over (order by id) as rn from events) o
        where o.id = events.id`.execute(db);
      await db.schema.createIndex('events_seq').unique().on('events').columns(['seq']).execute();
      await db.schema.createTable('consumer_positions')
        .addColumn('consumer', text, (c) => c.notNull())
        .addColumn('partition', 'integer', (c) => c.notNull())
        .addColumn('position', ms, (c) => c.notNull())
        .addColumn('owner', text)
        .addColumn('lease_until', ms)
        .addColumn('updated_at', ms, (c) => c.notNull())
        .addPrimaryKeyConstraint('consumer_positions_pk', ['consumer', 'partition'])
        .execute();
      await db.schema.createTable('consumer_members')
        .addColumn('consumer', text, (c) => c.notNull())
        .addColumn('owner', text, (c) => c.notNull())
        .addColumn('seen_at', ms, (c) => c.notNull())
        .addPrimaryKeyConstraint('consumer_members_pk', ['consumer', 'owner'])
        .execute();
      await db.schema.createTable('consumer_failures')
        .addColumn('consumer', text, (c) => c.notNull())
        .addColumn('event_id', text, (c) => c.notNull())
        .addColumn('tenant_id', text, (c) => c.notNull())
        .addColumn('seq', ms, (c) => c.notNull())
        .addColumn('partition', 'integer', (c) => c.notNull())
        .addColumn('ordering_key', text)
        .addColumn('status', text, (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull())
        .addColumn('last_error', text)
        .addColumn('next_attempt_at', ms)
        .addColumn('updated_at', ms, (c) => c.notNull())
        .addPrimaryKeyConstraint('consumer_failures_pk', ['consumer', 'event_id'])
        .execute();
      await db.schema.createIndex('consumer_failures_due').on('consumer_failures').columns(['consumer', 'partition', 'status', 'seq']).execute();
      await db.schema.createIndex('consumer_failures_tenant').on('consumer_failures').columns(['tenant_id', 'consumer', 'status']).execute();
      await db.schema.createIndex('consumer_failures_event').on('consumer_failures').columns(['event_id']).execute();
      await db.schema.createTable('consumer_replays')
        .addColumn('id', text, (c) => c.notNull())
        .addColumn('partition', 'integer', (c) => c.notNull())
        .addColumn('consumer', text, (c) => c.notNull())
        .addColumn('tenant_id', text, (c) => c.notNull())
        .addColumn('selection', text, (c) => c.notNull())
        .addColumn('position', ms, (c) => c.notNull())
        .addColumn('up_to', ms, (c) => c.notNull())
        .addColumn('created_at', ms, (c) => c.notNull())
        .addColumn('finished_at', ms)
        .addPrimaryKeyConstraint('consumer_replays_pk', ['id', 'partition'])
        .execute();
      await db.schema.createIndex('consumer_replays_open').on('consumer_replays').columns(['consumer', 'partition', 'finished_at']).execute();
      await carryOverDeliveries(db, dialect);
      await db.schema.dropTable('outbox').execute();
      await db.schema.dropTable('deliveries').execute();
      await db.schema.dropTable('consumer_applied').execute();
    },
  };
}

/** Positions from the deliveries of the previous release; dead deliveries become dead exception rows. */
async function carryOverDeliveries(db: Kysely<any>, _dialect: SqlDialect): Promise<void> {
  const now = Date.now();
  const head = Number((await sql<{ n: number | null }>`select max(seq) as n from events`.execute(db)).rows[0]?.n ?? 0);
  const outboxFloor = (await sql<{ n: number | null }>`select min(e.seq) as n from outbox o join events e on e.id = o.event_id`.execute(db)).rows[0]?.n;
  const consumers = await sql<{ consumer: string; floor: number | null }>`select d.consumer,
      min(case when d.status in ('pending', 'processing', 'failed') then e.seq end) as floor
    from deliveries d join events e on e.id = d.event_id group by d.consumer`.execute(db);
  for (const row of consumers.rows) {
    const floors = [row.floor, outboxFloor].filter((n): n is number => n !== null && n !== undefined).map(Number);
    const position = floors.length > 0 ? Math.min(...floors) - 1 : head;
    await sql`insert into consumer_positions (consumer, partition, position, owner, lease_until, updated_at)
      values (${row.consumer}, 0, ${position}, null, null, ${now})`.execute(db);
    // Events above the position that were done already become `done` rows: the consumer skips
    // them (a count must not be applied twice) and their attempts stay visible.
    await sql`insert into consumer_failures (consumer, event_id, tenant_id, seq, partition, ordering_key, status, attempts, last_error, next_attempt_at, updated_at)
      select d.consumer, d.event_id, d.tenant_id, e.seq, 0, d.ordering_key, 'done', d.attempts, d.last_error, null, d.updated_at
      from deliveries d join events e on e.id = d.event_id
      where d.consumer = ${row.consumer} and d.status = 'done' and e.seq > ${position}`.execute(db);
  }
  await sql`insert into consumer_failures (consumer, event_id, tenant_id, seq, partition, ordering_key, status, attempts, last_error, next_attempt_at, updated_at)
    select d.consumer, d.event_id, d.tenant_id, e.seq, 0, d.ordering_key, 'dead', d.attempts, d.last_error, null, d.updated_at
    from deliveries d join events e on e.id = d.event_id where d.status = 'dead'`.execute(db);
}

/** Migrations keyed by name; names sort in application order. */
export function migrationsFor(dialect: SqlDialect): Record<string, Migration> {
  return {
    '001_event_backbone': migration001(dialect), '002_deliveries_claim_index': migration002, '003_deliveries_lean_indexes': migration003,
    '004_idempotency_hash_link_targets': migration004, '005_event_sender_role': migration005,
    '006_anonymous_ids_tenant_keys': migration006(dialect), '007_log_positions': migration007(dialect),
  };
}

export function migrationProvider(dialect: SqlDialect, extra: Record<string, Migration> = {}): MigrationProvider {
  return { getMigrations: async () => ({ ...migrationsFor(dialect), ...extra }) };
}
