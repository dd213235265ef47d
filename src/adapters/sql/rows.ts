/** Row ↔ domain mapping for the SQL stores. */
import type { ApiKeyRecord, CatalogEntry, Role, Tenant, TenantSettings } from '../../ports/store.port.js';
import type { EventRecord, LogEntry, SenderRole } from '../../ports/events.types.js';
import type { ApiKeysTable, CatalogTypesTable, EventsTable, TenantsTable } from './db.types.js';

export const DEFAULT_TENANT_SETTINGS: TenantSettings = { strictTypes: false, trackMapping: {} };

export function toTenant(row: TenantsTable): Tenant {
  return {
    id: row.id,
    slug: row.slug,
    name: row.name,
    settings: { ...DEFAULT_TENANT_SETTINGS, ...(JSON.parse(row.settings) as Partial<TenantSettings>) },
    createdAt: Number(row.created_at),
  };
}

export function toApiKey(row: ApiKeysTable): ApiKeyRecord {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    role: row.role as Role,
    userId: row.user_id,
    name: row.name,
    prefix: row.prefix,
    createdAt: Number(row.created_at),
    revokedAt: row.revoked_at === null ? null : Number(row.revoked_at),
  };
}

export function toCatalogEntry(row: CatalogTypesTable): CatalogEntry {
  return {
    tenantId: row.tenant_id,
    type: row.type,
    category: row.category,
    description: row.description,
    schema: JSON.parse(row.schema) as Record<string, unknown>,
    createdAt: Number(row.created_at),
  };
}

export function toEventRow(event: EventRecord): Omit<EventsTable, 'seq'> {
  return {
    id: event.id,
    tenant_id: event.tenantId,
    type: event.type,
    source: event.source,
    subject: event.subject,
    user_id: event.userId,
    session_id: event.sessionId,
    category: event.category,
    source_app: event.sourceApp,
    time: event.time,
    received_at: event.receivedAt,
    idempotency_key: event.idempotencyKey,
    data: event.data === undefined ? null : JSON.stringify(event.data),
    sender_role: event.senderRole,
  };
}

export function toEvent(row: EventsTable): EventRecord {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    type: row.type,
    source: row.source,
    subject: row.subject,
    userId: row.user_id,
    sessionId: row.session_id,
    category: row.category,
    sourceApp: row.source_app,
    time: Number(row.time),
    receivedAt: Number(row.received_at),
    idempotencyKey: row.idempotency_key,
    senderRole: senderRoleOf(row.sender_role),
    data: row.data === null ? null : (JSON.parse(row.data) as unknown),
  };
}

const SENDER_ROLES: ReadonlySet<string> = new Set<SenderRole>(['admin', 'ingest', 'member']);

/** A stored sender role; anything else (a row from before migration 005) is null. */
function senderRoleOf(value: string | null | undefined): SenderRole | null {
  return typeof value === 'string' && SENDER_ROLES.has(value) ? (value as SenderRole) : null;
}

export function toLogEntry(row: EventsTable): LogEntry {
  return { ...toEvent(row), seq: Number(row.seq) };
}

export function encodeCursor(id: string): string {
  return Buffer.from(id, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): string {
  return Buffer.from(cursor, 'base64url').toString('utf8');
}
