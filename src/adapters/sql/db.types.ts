/**
 * Kysely table types of the backbone, shared by the SQLite and PostgreSQL stores. Times are epoch
 * milliseconds. Feature tables (`user_traits`, `identity_links`, `event_counts`, rag's) are typed
 * by their features' adapters.
 */

export interface TenantsTable { id: string; slug: string; name: string; settings: string; created_at: number }
export interface ApiKeysTable {
  id: string; tenant_id: string; role: string; user_id: string | null; name: string | null;
  prefix: string; hash: string; created_at: number; revoked_at: number | null;
}
export interface CatalogTypesTable {
  tenant_id: string; type: string; category: string; description: string; schema: string; created_at: number;
}
export interface EventsTable {
  id: string; tenant_id: string; type: string; source: string; subject: string | null; user_id: string | null;
  session_id: string | null; category: string; source_app: string | null; time: number; received_at: number;
  idempotency_key: string | null; data: string | null;
  /** The sender's role ('admin' | 'ingest' | 'member'); null for events stored before migration 005. */
  sender_role: string | null;
  /** A Segment message's `anonymousId` (migration 006); null for other events. */
  anonymous_id?: string | null;
  /** Position in the log (migration 007): gap-free, in commit order. */
  seq: number;
}
/** `body_hash`: SHA-256 of the normalised item first stored under the key (null for keys from before it was kept). */
export interface IdempotencyKeysTable { tenant_id: string; key: string; event_id: string; created_at: number; body_hash: string | null }
/** A consumer's position in one partition, with the lease of the worker that owns the partition. */
export interface ConsumerPositionsTable {
  consumer: string; partition: number; position: number; owner: string | null; lease_until: number | null; updated_at: number;
}
/** Workers running a consumer, seen recently: partitions are shared among them. */
export interface ConsumerMembersTable { consumer: string; owner: string; seen_at: number }
/** The only per-event rows: events a consumer failed on (failed, parked behind one, dead, or done after failing). */
export interface ConsumerFailuresTable {
  consumer: string; event_id: string; tenant_id: string; seq: number; partition: number; ordering_key: string | null;
  status: string; attempts: number; last_error: string | null; next_attempt_at: number | null; updated_at: number;
}
/** A replay of a selection to one consumer: a cursor per partition, from `position` up to `up_to`. */
export interface ConsumerReplaysTable {
  id: string; partition: number; consumer: string; tenant_id: string; selection: string; position: number; up_to: number;
  created_at: number; finished_at: number | null;
}

export interface Database {
  tenants: TenantsTable;
  api_keys: ApiKeysTable;
  catalog_types: CatalogTypesTable;
  events: EventsTable;
  idempotency_keys: IdempotencyKeysTable;
  consumer_positions: ConsumerPositionsTable;
  consumer_members: ConsumerMembersTable;
  consumer_failures: ConsumerFailuresTable;
  consumer_replays: ConsumerReplaysTable;
}
