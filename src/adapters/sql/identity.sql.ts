import { sql, type Kysely } from 'kysely';
import { AppError } from '../../platform/errors.js';
import { newId } from '../../platform/ids.js';
import type { ApiKeyStore, CatalogStore, IdentityStore, TenantStore } from '../../ports/store.port.js';
import type { Database } from './db.types.js';
import type { SqlDialect } from './migrations.js';
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

export function sqlIdentityStore(db: Kysely<Database>, dialect: SqlDialect): IdentityStore {
  return {
    async mergeTraits(tenantId, userId, traits, now) {
      if (dialect === 'postgres') {
        // One upsert merging server-side (jsonb `||` is a shallow merge), so concurrent merges keep every key.
        const incoming = JSON.stringify(traits);
        await db.insertInto('user_traits').values({ tenant_id: tenantId, user_id: userId, traits: incoming, updated_at: now })
          .onConflict((oc) => oc.columns(['tenant_id', 'user_id']).doUpdateSet({
            traits: sql<string>`(user_traits.traits::jsonb || excluded.traits::jsonb)::text`, updated_at: now,
          }))
          .execute();
        return;
      }
      // SQLite has one writer and Kysely runs its transactions one after another: read-merge-write is safe.
      await db.transaction().execute(async (trx) => {
        const row = await trx.selectFrom('user_traits').select('traits')
          .where('tenant_id', '=', tenantId).where('user_id', '=', userId).executeTakeFirst();
        const merged = JSON.stringify({ ...(row ? (JSON.parse(row.traits) as object) : {}), ...traits });
        await trx.insertInto('user_traits').values({ tenant_id: tenantId, user_id: userId, traits: merged, updated_at: now })
          .onConflict((oc) => oc.columns(['tenant_id', 'user_id']).doUpdateSet({ traits: merged, updated_at: now }))
          .execute();
      });
    },
    async traits(tenantId, userId) {
      const row = await db.selectFrom('user_traits').select('traits')
        .where('tenant_id', '=', tenantId).where('user_id', '=', userId).executeTakeFirst();
      return row && (JSON.parse(row.traits) as Record<string, unknown>);
    },
    async link(tenantId, kind, fromId, toId, now) {
      await db.insertInto('identity_links').values({ tenant_id: tenantId, kind, from_id: fromId, to_id: toId, created_at: now })
        .onConflict((oc) => oc.columns(['tenant_id', 'kind', 'from_id']).doUpdateSet({ to_id: toId }))
        .execute();
    },
    async resolve(tenantId, id) {
      const row = await db.selectFrom('identity_links').select('to_id')
        .where('tenant_id', '=', tenantId).where('kind', 'in', ['anonymous', 'alias']).where('from_id', '=', id)
        .orderBy('created_at', 'desc').executeTakeFirst();
      return row?.to_id;
    },
    async isKnown(tenantId, id, asideFrom) {
      const carrying = () => db.selectFrom('events').select('id').where('tenant_id', '=', tenantId).where('anonymous_id', '=', id);
      // Each probe is one seek on events_tenant_anonymous (tenant, anonymous id, user), however many events carry the id.
      const byOthers = asideFrom === undefined ? [carrying().where('user_id', 'is not', null)]
        : [carrying().where('user_id', '<', asideFrom), carrying().where('user_id', '>', asideFrom)];
      const found = await Promise.all([
        db.selectFrom('user_traits').select('user_id').where('tenant_id', '=', tenantId).where('user_id', '=', id).executeTakeFirst(),
        db.selectFrom('identity_links').select('to_id')
          .where('tenant_id', '=', tenantId).where('kind', 'in', ['anonymous', 'alias']).where('to_id', '=', id).limit(1).executeTakeFirst(),
        db.selectFrom('events').select('id').where('tenant_id', '=', tenantId).where('user_id', '=', id).limit(1).executeTakeFirst(),
        ...[carrying().where('user_id', 'is', null), ...byOthers].map((q) => q.limit(1).executeTakeFirst()),
      ]);
      return found.some((row) => row !== undefined);
    },
  };
}
