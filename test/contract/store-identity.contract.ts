/** Store contract: tenants, API keys, catalog (Segment identity and event stats are features: identity-store.test.ts, stats-store.test.ts). */
import { describe, expect, it } from 'vitest';
import { newId } from '../../src/platform/ids.js';
import type { ApiKeyRecord } from '../../src/ports/store.port.js';
import { T0, newTenant } from './store.fixtures.js';
import type { StoreGetter } from './store.contract.js';

export function describeIdentityContract(store: StoreGetter): void {
  describe('tenants', () => {
    it('ensure creates once and then returns the same tenant', async () => {
      const slug = `acme-${newId()}`;
      const first = await store().tenants.ensure(slug, 'Acme Inc');
      const again = await store().tenants.ensure(slug, 'Other name');
      expect(first.created).toBe(true);
      expect(again.created).toBe(false);
      expect(again.tenant).toEqual(first.tenant);
      expect(first.tenant).toMatchObject({ slug, name: 'Acme Inc', settings: { strictTypes: false, trackMapping: {} } });
      expect(await store().tenants.bySlug(slug)).toEqual(first.tenant);
      expect(await store().tenants.byId(first.tenant.id)).toEqual(first.tenant);
      expect(await store().tenants.bySlug(`missing-${newId()}`)).toBeUndefined();
      expect(await store().tenants.byId(newId())).toBeUndefined();
    });

    it('ensure is idempotent under concurrent calls', async () => {
      const slug = `race-${newId()}`;
      const results = await Promise.all(Array.from({ length: 6 }, () => store().tenants.ensure(slug)));
      expect(results.filter((r) => r.created)).toHaveLength(1);
      expect(new Set(results.map((r) => r.tenant.id)).size).toBe(1);
      expect(results[0]!.tenant.name).toBe(slug);
    });

    it('updateSettings merges a patch and persists it', async () => {
      const id = await newTenant(store());
      const updated = await store().tenants.updateSettings(id, { strictTypes: true });
      expect(updated.settings).toEqual({ strictTypes: true, trackMapping: {} });
      await store().tenants.updateSettings(id, { trackMapping: { 'Order Completed': 'order.placed' } });
      expect((await store().tenants.byId(id))?.settings).toEqual({
        strictTypes: true, trackMapping: { 'Order Completed': 'order.placed' },
      });
      await expect(store().tenants.updateSettings(newId(), { strictTypes: true })).rejects.toThrow();
    });
  });

  describe('api keys', () => {
    const key = (tenantId: string, fields: Partial<ApiKeyRecord> = {}): ApiKeyRecord => ({
      id: newId(), tenantId, role: 'ingest', userId: null, name: 'ci', prefix: 'er_abc', createdAt: T0, revokedAt: null, ...fields,
    });

    it('inserts, finds by hash, lists per tenant and revokes once', async () => {
      const tenantA = await newTenant(store());
      const tenantB = await newTenant(store());
      const admin = key(tenantA, { role: 'admin' });
      const member = key(tenantA, { role: 'member', userId: 'user-1', name: null });
      const other = key(tenantB);
      await store().apiKeys.insert(admin, `hash-${admin.id}`);
      await store().apiKeys.insert(member, `hash-${member.id}`);
      await store().apiKeys.insert(other, `hash-${other.id}`);

      expect(await store().apiKeys.findByHash(`hash-${member.id}`)).toEqual(member);
      expect(await store().apiKeys.findByHash('hash-unknown')).toBeUndefined();
      expect((await store().apiKeys.list(tenantA)).map((k) => k.id).sort()).toEqual([admin.id, member.id].sort());

      expect(await store().apiKeys.revoke(tenantB, admin.id)).toBe(false);
      expect(await store().apiKeys.revoke(tenantA, admin.id)).toBe(true);
      expect(await store().apiKeys.revoke(tenantA, admin.id)).toBe(false);
      const revoked = await store().apiKeys.findByHash(`hash-${admin.id}`);
      expect(revoked?.revokedAt).toEqual(expect.any(Number));
      expect((await store().apiKeys.findByHash(`hash-${other.id}`))?.revokedAt).toBeNull();
    });

    it('rejects a second key with the same hash', async () => {
      const tenant = await newTenant(store());
      const first = key(tenant);
      await store().apiKeys.insert(first, `dup-${first.id}`);
      await expect(store().apiKeys.insert(key(tenant), `dup-${first.id}`)).rejects.toThrow();
    });
  });

  describe('catalog', () => {
    it('upserts, lists sorted by type, gets and removes per tenant', async () => {
      const tenant = await newTenant(store());
      const other = await newTenant(store());
      const entry = {
        tenantId: tenant, type: 'stock.low_detected', category: 'inventory', description: 'low stock',
        schema: { type: 'object', properties: { sku: { type: 'string' } }, required: ['sku'] }, createdAt: T0,
      };
      await store().catalog.upsert(entry);
      await store().catalog.upsert({ ...entry, type: 'article.created', description: 'new article' });
      await store().catalog.upsert({ ...entry, tenantId: other, type: 'other.type' });
      expect((await store().catalog.list(tenant)).map((e) => e.type)).toEqual(['article.created', 'stock.low_detected']);
      expect(await store().catalog.get(tenant, 'stock.low_detected')).toEqual(entry);

      await store().catalog.upsert({ ...entry, category: 'ops', description: 'changed', schema: { type: 'object' }, createdAt: T0 + 5 });
      expect(await store().catalog.get(tenant, 'stock.low_detected')).toEqual({
        ...entry, category: 'ops', description: 'changed', schema: { type: 'object' }, createdAt: T0,
      });
      expect(await store().catalog.get(tenant, 'other.type')).toBeUndefined();
      expect(await store().catalog.remove(other, 'article.created')).toBe(false);
      expect(await store().catalog.remove(tenant, 'article.created')).toBe(true);
      expect(await store().catalog.remove(tenant, 'article.created')).toBe(false);
      expect((await store().catalog.list(tenant)).map((e) => e.type)).toEqual(['stock.low_detected']);
    });
  });
}
