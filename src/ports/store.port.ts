import type { Migration } from 'kysely';
import type { DeliveryStatus, EventRecord, EventSelection, LogEntry, NewEvent } from './events.types.js';

export type Role = 'admin' | 'ingest' | 'member';
export const ROLES: readonly Role[] = ['admin', 'ingest', 'member'];

export interface TenantSettings {
  /** Reject event types that are neither built in nor registered. */
  strictTypes: boolean;
  /** Segment `track` event name → eventrag type, e.g. {"Order Completed": "order.placed"}. */
  trackMapping: Record<string, string>;
}

export interface Tenant {
  id: string;
  slug: string;
  name: string;
  settings: TenantSettings;
  createdAt: number;
}

export interface ApiKeyRecord {
  id: string;
  tenantId: string;
  role: Role;
  userId: string | null;
  name: string | null;
  prefix: string;
  createdAt: number;
  revokedAt: number | null;
}

export interface CatalogEntry {
  tenantId: string;
  type: string;
  category: string;
  description: string;
  schema: Record<string, unknown>;
  createdAt: number;
}

export interface AppendResult {
  id: string;
  /** True when the idempotency key was seen within the window: nothing new was stored. */
  duplicate: boolean;
  /**
   * True when the key was seen within the window with a different body hash: nothing was stored
   * and `id` is the original event's (callers answer 409 and must not reveal it).
   */
  conflict?: boolean;
}

export interface EventListFilter extends EventSelection {
  deliveryStatus?: DeliveryStatus;
  consumer?: string;
  /** Opaque cursor from a previous page (newest-first listing). */
  cursor?: string;
  /** Oldest-first listing of events with ids greater than this one (stream resumption). */
  after?: string;
  limit: number;
}

/** Event field whose value is a consumer's ordering key. */
/** The event field a consumer orders by: its events with one value are applied one at a time, in log order. */
/** What a consumer orders by; `actor` is the user id, else the anonymous id in `data.anonymousId` (src/platform/actor.ts). */
export type OrderingField = 'tenantId' | 'userId' | 'sessionId' | 'subject' | 'actor';

export interface TenantStore {
  /** Creates the tenant, or returns the existing one with that slug (idempotent). */
  ensure(slug: string, name?: string): Promise<{ tenant: Tenant; created: boolean }>;
  bySlug(slug: string): Promise<Tenant | undefined>;
  byId(id: string): Promise<Tenant | undefined>;
  updateSettings(id: string, patch: Partial<TenantSettings>): Promise<Tenant>;
}

export interface ApiKeyStore {
  /** Stores a key's hash; the plain key is never stored. */
  insert(record: ApiKeyRecord, hash: string): Promise<void>;
  findByHash(hash: string): Promise<ApiKeyRecord | undefined>;
  list(tenantId: string): Promise<ApiKeyRecord[]>;
  revoke(tenantId: string, id: string): Promise<boolean>;
}

export interface CatalogStore {
  list(tenantId: string): Promise<CatalogEntry[]>;
  get(tenantId: string, type: string): Promise<CatalogEntry | undefined>;
  upsert(entry: CatalogEntry): Promise<void>;
  remove(tenantId: string, type: string): Promise<boolean>;
}

export interface EventStore {
  /**
   * Appends events in one transaction, each with the next position in the log (positions are
   * handed out in commit order, so a reader never passes an event that commits later). An idempotency key already seen
   * for the tenant since `idempotencySince` returns the original id and stores nothing; with a
   * body hash that differs from the stored one (both known) the result is a `conflict`.
   */
  append(events: NewEvent[], idempotencySince: number): Promise<AppendResult[]>;
  get(tenantId: string, id: string): Promise<LogEntry | undefined>;
  getMany(ids: string[]): Promise<LogEntry[]>;
  list(tenantId: string, filter: EventListFilter): Promise<{ items: EventRecord[]; nextCursor: string | null }>;
  count(tenantId: string, selection: EventSelection): Promise<number>;
  /** Removes idempotency keys older than `before` (ms). */
  pruneIdempotency(before: number): Promise<number>;
  /** Committed events after position `after`, in log order (the consumers' read). */
  readAfter(after: number, limit: number): Promise<LogEntry[]>;
  /** A tenant's events of a selection after `after` and up to `upTo`, in log order (replay cursors). */
  readSelection(tenantId: string, selection: EventSelection, after: number, upTo: number, limit: number): Promise<LogEntry[]>;
  /** The highest committed position (0 for an empty log). */
  head(): Promise<number>;
  /**
   * Receipt time of the first event after `after` (null when none): a consumer's lag in seconds.
   * With a tenant, its first event within the next 100,000 positions (bounded work: it looks
   * through 1,000, then 10,000, then 100,000 positions, and stops at the first hit).
   */
  receivedAfter(after: number, tenantId?: string): Promise<number | null>;
  /** Events after `after` (of the tenant when given, among the next `cap` positions), at most `cap`. */
  countAfter(after: number, cap: number, tenantId?: string): Promise<number>;
}

/** A consumer's position in one partition of the log, and who owns the partition now. */
export interface ConsumerPosition {
  consumer: string;
  partition: number;
  /** Seq of the last event handled in this partition (0: none). */
  position: number;
  owner: string | null;
  leaseUntil: number | null;
  updatedAt: number;
}

export type FailureStatus = 'failed' | 'parked' | 'dead' | 'done';

/** One exception row: an event a consumer failed on, or one parked behind such an event of its key. */
export interface FailureRecord {
  consumer: string;
  eventId: string;
  tenantId: string;
  seq: number;
  partition: number;
  orderingKey: string | null;
  /** `done`: it failed before and then succeeded (kept so its attempts stay visible). */
  status: FailureStatus;
  attempts: number;
  lastError: string | null;
  nextAttemptAt: number | null;
  updatedAt: number;
}

export interface FailureCounts {
  consumer: string;
  failed: number;
  parked: number;
  dead: number;
  /** Seq of the oldest failed or parked event (null when none). */
  oldestSeq: number | null;
}

/** A replay cursor of one partition: re-feeds a tenant's selection up to `upTo` to one consumer. */
export interface ReplayCursor {
  id: string;
  partition: number;
  consumer: string;
  tenantId: string;
  selection: EventSelection;
  position: number;
  upTo: number;
  createdAt: number;
  finishedAt: number | null;
}

/** A position as the worker last wrote it (`from`) and where its batch brings it (`to`). */
export interface PositionMove { from: number; to: number }

/**
 * Consumer positions and the leases on their partitions. Every partition of a consumer is owned
 * by at most one worker at a time; a worker that stops renewing loses its partitions when the
 * lease runs out, and the others share them out again.
 */
export interface PositionStore {
  /** Creates missing partitions 0..partitions-1 (a new consumer at `startAt`; a new partition at the lowest existing position). */
  ensure(consumer: string, partitions: number, startAt: number, now: number): Promise<void>;
  /** Positions (of one consumer); inside `tx` the rows are locked until it ends (a rebuild reads where to replay up to). */
  list(consumer?: string, tx?: StoreTx): Promise<ConsumerPosition[]>;
  /**
   * Records `owner` as a live member, renews its leases, gives back those above its fair share of
   * the members seen within `leaseMs` (its highest-numbered first), takes free or expired partitions
   * up to it. Returns the partitions `owner` holds after the call.
   */
  acquire(consumer: string, owner: string, now: number, leaseMs: number, partitions: number): Promise<number[]>;
  /** Gives back partitions (all of the owner's when omitted) and leaves the member list. */
  release(consumer: string, owner: string, partitions?: number[]): Promise<void>;
  /**
   * Moves a held partition's position from `move.from` to `move.to` (never backwards), inside `tx`
   * when given. Returns false when `owner` no longer holds the partition or the stored position is
   * no longer `from` (a reset moved it while the worker ran, even if the same owner took the
   * partition again): the caller's work must then be rolled back.
   */
  advance(consumer: string, partition: number, owner: string, move: PositionMove, now: number, tx?: StoreTx): Promise<boolean>;
  /** Sets every partition's position (rebuild from `position`, usually 0) and frees their leases (workers re-read the position). */
  reset(consumer: string, position: number, now: number): Promise<void>;
}

/** The only per-event rows of the consumers: their exceptions. */
export interface FailureStore {
  /** Inserts or replaces rows (one consumer's), inside `tx` when given. */
  put(rows: FailureRecord[], tx?: StoreTx): Promise<void>;
  /** Failed rows of these partitions whose next attempt is due, oldest first. */
  due(consumer: string, partitions: number[], now: number, limit: number): Promise<FailureRecord[]>;
  /** Rows of a partition that block their key (failed or parked), oldest first. */
  blocking(consumer: string, partition: number): Promise<FailureRecord[]>;
  /** The parked rows of one key, oldest first. */
  parked(consumer: string, partition: number, orderingKey: string, limit: number): Promise<FailureRecord[]>;
  /** Rows of one consumer with a position above `seq` (carried over from the previous release: the runner skips them). */
  above(consumer: string, seq: number, limit: number): Promise<FailureRecord[]>;
  /** Deletes rows (parked events that then succeeded), inside `tx` when given. */
  remove(consumer: string, eventIds: string[], tx?: StoreTx): Promise<void>;
  /** Every consumer's row for one event of a tenant. */
  forEvent(tenantId: string, eventId: string): Promise<FailureRecord[]>;
  counts(tenantId: string | null): Promise<FailureCounts[]>;
  /** Dead rows of a tenant and consumer become failed and due now, with their attempts reset; returns how many. */
  retryDead(tenantId: string, consumer: string, now: number): Promise<number>;
}

export interface ReplayStore {
  /** Opens a replay: one cursor per partition, each from 0 up to that partition's `upTo` (inside `tx` when given). */
  open(cursors: ReplayCursor[], tx?: StoreTx): Promise<void>;
  /** Open cursors of these partitions. */
  active(consumer: string, partitions: number[]): Promise<ReplayCursor[]>;
  /** All open cursors (status pages). */
  openCursors(tenantId: string | null): Promise<ReplayCursor[]>;
  /** Moves a cursor (finishing it when it reached `upTo`), inside `tx` when given. */
  advance(id: string, partition: number, position: number, finished: boolean, now: number, tx?: StoreTx): Promise<void>;
}

/**
 * A transaction of the backbone store, handed to transactional projections (`handleBatch`). A
 * feature's SQL adapter runs its writes on `db` (a Kysely transaction of the store's database);
 * they commit together with the consumer's new position, or not at all.
 */
export interface StoreTx {
  readonly db: unknown;
  readonly dialect: 'sqlite' | 'postgres';
}

/** A feature's migrations, tracked under its name (tables `<name>_migrations` and `<name>_migrations_lock`). */
export interface FeatureMigrations {
  /** Lowercase letters, digits and underscores. */
  name: string;
  /** Ordered by name within the feature only. */
  migrations: Record<string, Migration>;
  /** Names these migrations had in the backbone's table in earlier releases (moved, not run again). */
  adopts?: readonly string[];
}

/** The durable store: one adapter per database engine, all passing test/contract/store. */
export interface Store {
  readonly dialect: 'sqlite' | 'postgres';
  /**
   * Runs pending migrations: first moves the names features `adopt` out of the backbone's
   * bookkeeping (earlier releases ran them there), then the backbone's, then each feature's in
   * its own tables. The features are remembered for `ready()`.
   */
  migrate(features?: readonly FeatureMigrations[]): Promise<void>;
  /** True when the store answers and its migrations (the backbone's and the features' last given to `migrate`) are current. */
  ready(): Promise<{ ok: boolean; detail?: string }>;
  close(): Promise<void>;
  tenants: TenantStore;
  apiKeys: ApiKeyStore;
  catalog: CatalogStore;
  events: EventStore;
  positions: PositionStore;
  failures: FailureStore;
  replays: ReplayStore;
  /** Runs `work` in one transaction of the store (projections: their writes and their new position). */
  transaction<T>(work: (tx: StoreTx) => Promise<T>): Promise<T>;
}
