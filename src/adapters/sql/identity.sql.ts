import type { Kysely } from 'kysely';
import { AppError } from '../../platform/errors.js';
import { newId } from '../../platform/ids.js';
import type { ApiKeyStore, CatalogStore, TenantStore } from '../../ports/store.port.js';
import type { Database } from './db.types.js';
import { DEFAULT_TENANT_SETTINGS, toApiKey, toCatalogEntry, toTenant } from './rows.js';

export function sqlTenantStore(db: Kysely<Database>): TenantStore {
  const bySlug = async (slug: string) => {
    const row = await db.selectFrom('tenants').selectAll().where('slug', '=', slug).executeTakeFirst();
    return row && toTenant(row);
  };
  const byId = async (id: string) => {
    const row = await db.selectFrom('tenants').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toTenant(row);
  };
  return {
    bySlug,
    byId,
    async ensure(slug, name) {
      const inserted = await db.insertInto('tenants')
        .values({ id: newId(), slug, name: name ?? slug, settings: JSON.stringify(DEFAULT_TENANT_SETTINGS), created_at: Date.now() })
        .onConflict((oc) => oc.column('slug').doNothing())
        .returningAll()
        .executeTakeFirst();
      if (inserted) return { tenant: toTenant(inserted), created: true };
      return { tenant: (await bySlug(slug))!, created: false };
    },
    async updateSettings(id, patch) {
      const current = await byId(id);
      if (!current) throw new AppError('NOT_FOUND', { detail: `tenant ${id} does not exist` });
      const settings = { ...current.settings, ...patch };
      await db.updateTable('tenants').set({ settings: JSON.stringify(settings) }).where('id', '=', id).execute();
      return { ...current, settings };
    },
  };
}

export function sqlApiKeyStore(db: Kysely<Database>): ApiKeyStore {
  return {
    async insert(record, hash) {
      await db.insertInto('api_keys').values({
        id: record.id, tenant_id: record.tenantId, role: record.role, user_id: record.userId, name: record.name,
        prefix: record.prefix, hash, created_at: record.createdAt, revoked_at: record.revokedAt,
      }).execute();
    },
    async findByHash(hash) {
      const row = await db.selectFrom('api_keys').selectAll().where('hash', '=', hash).executeTakeFirst();
      return row && toApiKey(row);
    },
    async list(tenantId) {
      const rows = await db.selectFrom('api_keys').selectAll().where('tenant_id', '=', tenantId).orderBy('id').execute();
      return rows.map(toApiKey);
    },
    async revoke(tenantId, id) {
      const result = await db.updateTable('api_keys').set({ revoked_at: Date.now() })
        .where('tenant_id', '=', tenantId).where('id', '=', id).where('revoked_at', 'is', null).executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },
  };
}

export function sqlCatalogStore(db: Kysely<Database>): CatalogStore {
  return {
    async list(tenantId) {
      const rows = await db.selectFrom('catalog_types').selectAll().where('tenant_id', '=', tenantId).orderBy('type').execute();
      return rows.map(toCatalogEntry);
    },
    async get(tenantId, type) {
      const row = await db.selectFrom('catalog_types').selectAll().where('tenant_id', '=', tenantId).where('type', '=', type).executeTakeFirst();
      return row && toCatalogEntry(row);
    },
    async upsert(entry) {
      const values = {
        tenant_id: entry.tenantId, type: entry.type, category: entry.category, description: entry.description,
        schema: JSON.stringify(entry.schema), created_at: entry.createdAt,
      };
      await db.insertInto('catalog_types').values(values)
        .onConflict((oc) => oc.columns(['tenant_id', 'type']).doUpdateSet({
          category: values.category, description: values.description, schema: values.schema,
        }))
        .execute();
    },
    async remove(tenantId, type) {
      const result = await db.deleteFrom('catalog_types').where('tenant_id', '=', tenantId).where('type', '=', type).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },
  };
}
