import type { Migration } from 'kysely';
import type { Delivery, DeliveryStatus, EventRecord, EventSelection, NewEvent } from './events.types.js';

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

export interface OutboxRow {
  seq: number;
  eventId: string;
  tenantId: string;
  type: string;
  userId: string | null;
}

export interface ConsumerCounts {
  consumer: string;
  pending: number;
  processing: number;
  failed: number;
  dead: number;
  /** Receipt time (ms) of the oldest event not yet done, or null when caught up. */
  oldestUndoneAt: number | null;
}

/** Event field whose value is a consumer's ordering key. */
export type OrderingField = 'userId' | 'sessionId' | 'subject';

export interface ClaimedDelivery {
  eventId: string;
  tenantId: string;
  attempts: number;
  orderingKey: string | null;
}

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
   * Appends events and their outbox rows in one transaction. An idempotency key already seen
   * for the tenant since `idempotencySince` returns the original id and stores nothing; with a
   * body hash that differs from the stored one (both known) the result is a `conflict`.
   */
  append(events: NewEvent[], idempotencySince: number): Promise<AppendResult[]>;
  get(tenantId: string, id: string): Promise<EventRecord | undefined>;
  getMany(ids: string[]): Promise<EventRecord[]>;
  list(tenantId: string, filter: EventListFilter): Promise<{ items: EventRecord[]; nextCursor: string | null }>;
  count(tenantId: string, selection: EventSelection): Promise<number>;
  /** Removes idempotency keys older than `before` (ms). */
  pruneIdempotency(before: number): Promise<number>;
}

export interface OutboxStore {
  /** The oldest rows not yet relayed. */
  peek(limit: number): Promise<OutboxRow[]>;
  /** In one transaction: create pending deliveries (ignoring existing ones) and delete the relayed rows. */
  relayed(seqs: number[], deliveries: Array<Pick<Delivery, 'eventId' | 'consumer' | 'tenantId' | 'orderingKey'>>): Promise<void>;
  size(): Promise<number>;
}

export interface DeliveryStore {
  /**
   * Moves up to `limit` due deliveries (pending, or failed with next attempt ≤ now, or processing
   * with an expired lease) to processing, counting the attempt. With `ordered`, only the oldest
   * unfinished delivery of each ordering key is due.
   */
  claimDue(consumer: string, limit: number, now: number, leaseMs: number, ordered: boolean): Promise<ClaimedDelivery[]>;
  /** Marks processing (creating the row if the relay has not yet) and returns the attempt number, or null when already done or dead. */
  begin(consumer: string, eventId: string, tenantId: string, now: number, leaseMs: number): Promise<number | null>;
  markDone(consumer: string, eventIds: string[], now: number): Promise<void>;
  markFailed(consumer: string, eventId: string, error: string, nextAttemptAt: number, now: number): Promise<void>;
  markDead(consumer: string, eventId: string, error: string, now: number): Promise<void>;
  /** Hands this process's unfinished deliveries back (processing → pending), e.g. at shutdown. */
  release(consumer: string, eventIds: string[], now: number): Promise<void>;
  forEvent(tenantId: string, eventId: string): Promise<Delivery[]>;
  /**
   * Unfinished and dead deliveries per consumer (done ones are not counted: that would read the
   * whole history on every call; `stats.appliedCount` and the event counts say what was applied).
   */
  counts(tenantId: string | null): Promise<ConsumerCounts[]>;
  /** Sets matching events' deliveries to pending (creating them as needed); returns how many. */
  replay(tenantId: string, consumer: string, selection: EventSelection, orderingField: OrderingField | null, now: number): Promise<number>;
  retryDead(tenantId: string, consumer: string, now: number): Promise<number>;
  /**
   * Marks dead the deliveries whose last allowed attempt lost its lease (the process died during
   * it): a bus that gives up after `maxAttempts` deliveries will not bring them back. Returns how many.
   */
  deadExhausted(consumer: string, maxAttempts: number, now: number): Promise<number>;
  /** Event ids of pending deliveries of a tenant and consumer (for buses that must re-publish a replay). */
  pendingIds(tenantId: string, consumer: string, afterId: string | null, limit: number): Promise<string[]>;
}

/** Per-user identity facts from Segment identify/alias/group. */
export interface IdentityStore {
  mergeTraits(tenantId: string, userId: string, traits: Record<string, unknown>, now: number): Promise<void>;
  traits(tenantId: string, userId: string): Promise<Record<string, unknown> | undefined>;
  link(tenantId: string, kind: 'anonymous' | 'alias' | 'group', fromId: string, toId: string, now: number): Promise<void>;
  /** The user id an anonymous id or alias was stitched to, if any. */
  resolve(tenantId: string, anonymousOrAlias: string): Promise<string | undefined>;
  /**
   * True when the tenant already knows `id` as someone: it has traits, an anonymous id or alias
   * was stitched to it, events were stored with it as their user, or Segment events carry it as
   * their anonymous id, unless every such event is about `asideFrom` (that user's own earlier
   * anonymous activity). A member may only link ids nobody else has used yet. Indexed lookups only.
   */
  isKnown(tenantId: string, id: string, asideFrom?: string): Promise<boolean>;
}

/** Per-tenant, per-type, per-hour event counts kept by the `stats` consumer. */
export interface EventStatsStore {
  /** Counts each event exactly once (keyed by consumer and event id); returns how many were new. */
  countOnce(consumer: string, events: Array<Pick<EventRecord, 'id' | 'tenantId' | 'type' | 'time'>>): Promise<number>;
  totals(tenantId: string, from: number, to: number): Promise<Array<{ type: string; hour: number; count: number }>>;
  appliedCount(consumer: string, tenantId: string): Promise<number>;
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
  outbox: OutboxStore;
  deliveries: DeliveryStore;
  identity: IdentityStore;
  stats: EventStatsStore;
}
