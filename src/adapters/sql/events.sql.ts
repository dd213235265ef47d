import { sql, type Kysely, type Transaction } from 'kysely';
import { idFloor } from '../../platform/ids.js';
import type { EventSelection, NewEvent } from '../../ports/events.types.js';
import type { AppendResult, EventListFilter, EventStore } from '../../ports/store.port.js';
import type { Database, EventsTable } from './db.types.js';
import type { SqlDialect } from './migrations.js';
import { RecentAppends } from './recent-appends.js';
import { decodeCursor, encodeCursor, toEvent, toEventRow, toLogEntry } from './rows.js';
import { chunks } from '../../platform/lists.js';

/**
 * PostgreSQL: appends take this transaction-scoped advisory lock before they pick positions, so
 * positions are handed out and committed one transaction after the other. Without it two
 * appenders could commit out of position order, and a consumer that read position N could later
 * miss an event at a lower position that committed after its read. SQLite has one writer.
 */
const APPEND_LOCK = 7_331_001;

/** SQLite caps bound parameters per statement; 15 columns × 60 rows stays well below it. */
const INSERT_CHUNK = 60;

/** The `source` of every event stored from a Segment message. */
export const SEGMENT_SOURCE = '/segment';


/**
 * The anonymous id a Segment message's event carries (`data.anonymousId`), kept in its own
 * indexed column so "has anyone used this anonymous id?" never scans the log.
 */
export function anonymousIdOf(event: Pick<NewEvent, 'source' | 'data'>): string | null {
  if (event.source !== SEGMENT_SOURCE || event.data === null || typeof event.data !== 'object') return null;
  const id = (event.data as { anonymousId?: unknown }).anonymousId;
  return typeof id === 'string' && id !== '' ? id : null;
}

/** Narrows a query on `events` to a selection; shared by list, count and replay. */
export function applySelection<QB extends { where: (...args: any[]) => QB }>(qb: QB, tenantId: string, selection: EventSelection): QB {
  let q = qb.where('events.tenant_id', '=', tenantId);
  const types = selection.types ?? [];
  if (types.length > 0 && !types.includes('*')) {
    // Same semantics as platform/patterns.ts: `article.*` is the prefix `article.`, anything else is exact.
    const exact = types.filter((t) => !t.endsWith('.*'));
    const prefixes = types.filter((t) => t.endsWith('.*')).map((t) => t.slice(0, -1));
    q = q.where((eb: any) => eb.or([
      ...(exact.length > 0 ? [eb('events.type', 'in', exact)] : []),
      ...prefixes.map((prefix) => sql<boolean>`${sql.ref('events.type')} like ${likePrefix(prefix)} escape '\\'`),
    ]));
  }
  return applyRange(q, selection, selection.userId);
}

/** A LIKE pattern matching values that start with `prefix` literally (`%`, `_` and the backslash escaped). */
function likePrefix(prefix: string): string {
  return `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

function applyRange<QB extends { where: (...args: any[]) => QB }>(qb: QB, selection: EventSelection, userId?: string): QB {
  let q = qb;
  if (userId !== undefined) q = q.where('events.user_id', '=', userId);
  // Ids are UUIDv7, so a time range on the receipt time is an id range that uses the primary key.
  if (selection.from !== undefined) q = q.where('events.id', '>=', idFloor(selection.from));
  if (selection.to !== undefined) q = q.where('events.id', '<', idFloor(selection.to + 1));
  return q;
}

interface Claim { key: string; bodyHash: string | null }
type ClaimOutcome = { kind: 'fresh' } | { kind: 'duplicate' | 'conflict'; id: string };

const sameBody = (a: string | null, b: string | null) => a === null || b === null || a === b;

/**
 * Takes an idempotency key for `event`, unless it was taken since `since`: then returns the
 * original event id, as a conflict when the stored body hash differs. One upsert, so concurrent
 * appends of one key (PostgreSQL) store one event.
 */
async function claimKey(trx: Transaction<Database>, event: NewEvent, claim: Claim, since: number): Promise<ClaimOutcome> {
  const taken = await trx.insertInto('idempotency_keys')
    .values({ tenant_id: event.tenantId, key: claim.key, event_id: event.id, created_at: event.receivedAt, body_hash: claim.bodyHash })
    .onConflict((oc) => oc.columns(['tenant_id', 'key'])
      .doUpdateSet({ event_id: event.id, created_at: event.receivedAt, body_hash: claim.bodyHash })
      .where('idempotency_keys.created_at', '<', since))
    .returning('event_id')
    .executeTakeFirst();
  if (taken) return { kind: 'fresh' };
  const existing = await trx.selectFrom('idempotency_keys').select(['event_id', 'body_hash'])
    .where('tenant_id', '=', event.tenantId).where('key', '=', claim.key).executeTakeFirstOrThrow();
  return { kind: sameBody(existing.body_hash, claim.bodyHash) ? 'duplicate' : 'conflict', id: existing.event_id };
}

function claimOf(event: NewEvent): Claim | null {
  if (event.idempotency) return event.idempotency;
  return event.idempotencyKey === null ? null : { key: event.idempotencyKey, bodyHash: null };
}

/** How far past a position a tenant's next event is looked for: bounded work, whatever the tenant's share of the log. */
const TENANT_WINDOWS = [1_000, 10_000, 100_000];

/**
 * The log's positions (after, after + size]: a range of the position index, read first (the CTE
 * is materialized), so the tenant's rows are picked from at most `size` rows. Filtering by tenant
 * inside would let the planner walk all of that tenant's events instead.
 */
function logWindow(db: Kysely<Database>, after: number, size: number) {
  return db.selectFrom('events').select(['seq', 'tenant_id', 'received_at']).where('seq', '>', after).where('seq', '<=', after + size);
}

/** The next free position, taken under the append lock (PostgreSQL) or SQLite's single writer. */
async function nextPosition(trx: Transaction<Database>, dialect: SqlDialect): Promise<number> {
  if (dialect === 'postgres') await sql`select pg_advisory_xact_lock(${APPEND_LOCK})`.execute(trx);
  const row = await trx.selectFrom('events').select(sql<number | null>`max(seq)`.as('n')).executeTakeFirst();
  return Number(row?.n ?? 0) + 1;
}

/** `deliveryStatus` of a listing: failed/dead/parked from the exception rows, pending/done from positions. */
function applyDeliveryStatus<QB extends { where: (...args: any[]) => QB }>(q: QB, filter: EventListFilter): QB {
  const status = filter.deliveryStatus;
  if (!status) return q;
  const byConsumer = (sq: any) => (filter.consumer === undefined ? sq : sq.where('consumer', '=', filter.consumer));
  const failureIn = (states: string[]) => (eb: any) => eb.exists(byConsumer(eb.selectFrom('consumer_failures').select('consumer_failures.event_id')
    .whereRef('consumer_failures.event_id', '=', 'events.id').where('consumer_failures.status', 'in', states)));
  if (status === 'failed' || status === 'dead') return q.where(failureIn([status]));
  if (status === 'processing') return q.where(sql<boolean>`1 = 0`);
  // Below the lowest position of the consumer(s) every partition has passed the event.
  const floor = (eb: any) => byConsumer(eb.selectFrom('consumer_positions').select(sql`min(position)`.as('p')));
  if (status === 'done') return q.where((eb: any) => eb.and([eb('events.seq', '<=', floor(eb)), eb.not(failureIn(['failed', 'parked', 'dead'])(eb))]));
  return q.where((eb: any) => eb.or([eb('events.seq', '>', floor(eb)), failureIn(['parked'])(eb)]));
}

export function sqlEventStore(db: Kysely<Database>, dialect: SqlDialect): EventStore {
  const recent = new RecentAppends();
  return {
    async append(events, idempotencySince) {
      const written: EventsTable[] = [];
      const results = await db.transaction().execute(async (trx) => {
        const results: AppendResult[] = [];
        const fresh: typeof events = [];
        const seenInBatch = new Map<string, { id: string; bodyHash: string | null }>();
        for (const event of events) {
          const claim = claimOf(event);
          const batchKey = `${event.tenantId}\u0000${claim?.key}`;
          const earlier = claim === null ? undefined : seenInBatch.get(batchKey);
          const outcome: ClaimOutcome | null = claim === null ? null
            : earlier ? { kind: sameBody(earlier.bodyHash, claim.bodyHash) ? 'duplicate' : 'conflict', id: earlier.id }
              : await claimKey(trx, event, claim, idempotencySince);
          if (outcome && outcome.kind !== 'fresh') {
            results.push({ id: outcome.id, duplicate: true, ...(outcome.kind === 'conflict' ? { conflict: true } : {}) });
            continue;
          }
          if (claim !== null) seenInBatch.set(batchKey, { id: event.id, bodyHash: claim.bodyHash });
          fresh.push(event);
          results.push({ id: event.id, duplicate: false });
        }
        if (fresh.length === 0) return results;
        let seq = await nextPosition(trx, dialect);
        for (const part of chunks(fresh, INSERT_CHUNK)) {
          const rows = part.map((e) => ({ ...toEventRow(e), anonymous_id: anonymousIdOf(e), seq: seq++ }));
          await trx.insertInto('events').values(rows).execute();
          written.push(...rows);
        }
        return results;
      });
      // Committed: this process's consumers read these next (the same entries a read would give).
      recent.add(written.map((row) => ({ entry: toLogEntry(row), bytes: (row.data?.length ?? 0) + 256 })));
      return results;
    },
    async get(tenantId, id) {
      const row = await db.selectFrom('events').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
      return row && toLogEntry(row);
    },
    async getMany(ids) {
      if (ids.length === 0) return [];
      const rows = await db.selectFrom('events').selectAll().where('id', 'in', ids).execute();
      return rows.map(toLogEntry);
    },
    async list(tenantId, filter) {
      let q = applyDeliveryStatus(applySelection(db.selectFrom('events').selectAll('events'), tenantId, filter), filter);
      if (filter.after !== undefined) q = q.where('events.id', '>', filter.after);
      else if (filter.cursor) q = q.where('events.id', '<', decodeCursor(filter.cursor));
      const rows = await q.orderBy('events.id', filter.after !== undefined ? 'asc' : 'desc').limit(filter.limit + 1).execute();
      const items = rows.slice(0, filter.limit).map(toEvent);
      const last = items.at(-1);
      return { items, nextCursor: rows.length > filter.limit && last ? encodeCursor(last.id) : null };
    },
    async count(tenantId, selection) {
      const row = await applySelection(db.selectFrom('events').select(sql<number>`count(*)`.as('n')), tenantId, selection).executeTakeFirst();
      return Number(row?.n ?? 0);
    },
    async pruneIdempotency(before) {
      const result = await db.deleteFrom('idempotency_keys').where('created_at', '<', before).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
    async readAfter(after, limit) {
      const held = recent.after(after, limit);
      if (held.length > 0) return held;
      const rows = await db.selectFrom('events').selectAll().where('seq', '>', after).orderBy('seq').limit(limit).execute();
      return rows.map(toLogEntry);
    },
    async readSelection(tenantId, selection, after, upTo, limit) {
      const rows = await applySelection(db.selectFrom('events').selectAll('events'), tenantId, selection)
        .where('events.seq', '>', after).where('events.seq', '<=', upTo).orderBy('events.seq').limit(limit).execute();
      return rows.map(toLogEntry);
    },
    async head() {
      const row = await db.selectFrom('events').select(sql<number | null>`max(seq)`.as('n')).executeTakeFirst();
      return Number(row?.n ?? 0);
    },
    async receivedAfter(after, tenantId) {
      if (tenantId === undefined) {
        const row = await db.selectFrom('events').select('received_at').where('seq', '>', after).orderBy('seq').limit(1).executeTakeFirst();
        return row ? Number(row.received_at) : null;
      }
      // Growing windows: the tenant's next event is usually close, and a miss costs one more range.
      for (const size of TENANT_WINDOWS) {
        const { rows } = await sql<{ received_at: number }>`with tail as materialized ${logWindow(db, after, size)}
          select received_at from tail where tenant_id = ${tenantId} order by seq limit 1`.execute(db);
        if (rows[0]) return Number(rows[0].received_at);
      }
      return null;
    },
    async countAfter(after, cap, tenantId) {
      if (tenantId === undefined) {
        const head = await db.selectFrom('events').select(sql<number | null>`max(seq)`.as('n')).executeTakeFirst();
        return Math.max(0, Math.min(cap, Number(head?.n ?? 0) - after)); // positions have no gaps
      }
      const { rows } = await sql<{ n: number }>`with tail as materialized ${logWindow(db, after, cap)}
        select count(*) as n from tail where tenant_id = ${tenantId}`.execute(db);
      return Number(rows[0]?.n ?? 0);
    },
  };
}
