/** Kysely table types shared by the SQLite and PostgreSQL stores. Times are epoch milliseconds. */
import type { Generated } from 'kysely';

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
}
/** `body_hash`: SHA-256 of the normalised item first stored under the key (null for keys from before it was kept). */
export interface IdempotencyKeysTable { tenant_id: string; key: string; event_id: string; created_at: number; body_hash: string | null }
export interface OutboxTable { seq: Generated<number>; event_id: string; tenant_id: string; type: string; user_id: string | null }
export interface DeliveriesTable {
  consumer: string; event_id: string; tenant_id: string; status: string; attempts: number; last_error: string | null;
  next_attempt_at: number | null; lease_until: number | null; ordering_key: string | null; updated_at: number;
}
export interface UserTraitsTable { tenant_id: string; user_id: string; traits: string; updated_at: number }
export interface IdentityLinksTable { tenant_id: string; kind: string; from_id: string; to_id: string; created_at: number }
export interface EventCountsTable { tenant_id: string; type: string; hour: number; count: number }
export interface ConsumerAppliedTable { consumer: string; event_id: string; tenant_id: string }

export interface Database {
  tenants: TenantsTable;
  api_keys: ApiKeysTable;
  catalog_types: CatalogTypesTable;
  events: EventsTable;
  idempotency_keys: IdempotencyKeysTable;
  outbox: OutboxTable;
  deliveries: DeliveriesTable;
  user_traits: UserTraitsTable;
  identity_links: IdentityLinksTable;
  event_counts: EventCountsTable;
  consumer_applied: ConsumerAppliedTable;
}
