/** Store contract: tenants, API keys, catalog, identity traits and links, event stats. */
import { describe, expect, it } from 'vitest';
import { newId } from '../../src/platform/ids.js';
import type { ApiKeyRecord } from '../../src/ports/store.port.js';
import { HOUR, T0, idAt, makeEvent, newConsumer, newTenant } from './store.fixtures.js';
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

  describe('identity', () => {
    it('merges traits shallowly per tenant and user', async () => {
      const tenant = await newTenant(store());
      const other = await newTenant(store());
      expect(await store().identity.traits(tenant, 'u1')).toBeUndefined();
      await store().identity.mergeTraits(tenant, 'u1', { name: 'Ada', plan: 'free', address: { city: 'Berlin' } }, T0);
      await store().identity.mergeTraits(tenant, 'u1', { plan: 'pro', address: { zip: '10115' } }, T0 + 1);
      await store().identity.mergeTraits(other, 'u1', { name: 'Other' }, T0);
      expect(await store().identity.traits(tenant, 'u1')).toEqual({ name: 'Ada', plan: 'pro', address: { zip: '10115' } });
      expect(await store().identity.traits(other, 'u1')).toEqual({ name: 'Other' });
    });

    it('keeps every key of concurrent merges', async () => {
      const tenant = await newTenant(store());
      await Promise.all(Array.from({ length: 8 }, (_, i) => store().identity.mergeTraits(tenant, 'u', { [`k${i}`]: i }, T0 + i)));
      expect(Object.keys((await store().identity.traits(tenant, 'u')) ?? {}).sort()).toEqual(
        Array.from({ length: 8 }, (_, i) => `k${i}`).sort(),
      );
    });

    it('links anonymous ids and aliases to users and resolves them', async () => {
      const tenant = await newTenant(store());
      const other = await newTenant(store());
      await store().identity.link(tenant, 'anonymous', 'anon-1', 'user-1', T0);
      await store().identity.link(tenant, 'alias', 'old-id', 'user-2', T0);
      await store().identity.link(tenant, 'group', 'user-1', 'group-1', T0);
      expect(await store().identity.resolve(tenant, 'anon-1')).toBe('user-1');
      expect(await store().identity.resolve(tenant, 'old-id')).toBe('user-2');
      expect(await store().identity.resolve(tenant, 'user-1')).toBeUndefined();
      expect(await store().identity.resolve(other, 'anon-1')).toBeUndefined();
      await store().identity.link(tenant, 'anonymous', 'anon-1', 'user-3', T0 + 10);
      expect(await store().identity.resolve(tenant, 'anon-1')).toBe('user-3');
    });

    it('knows an id by its traits, as a link target, or as the user of events, per tenant', async () => {
      const tenant = await newTenant(store());
      const other = await newTenant(store());
      await store().identity.mergeTraits(tenant, 'with-traits', { plan: 'pro' }, T0);
      await store().identity.link(tenant, 'alias', 'old-id', 'link-target', T0);
      await store().identity.link(tenant, 'group', 'group-member', 'group-1', T0);
      await store().events.append([makeEvent(tenant, T0, { userId: 'event-user' })], 0);
      for (const id of ['with-traits', 'link-target', 'event-user']) expect(await store().identity.isKnown(tenant, id), id).toBe(true);
      // An id only linked from, a group, and a stranger are nobody yet; nor is anyone in another tenant.
      for (const id of ['old-id', 'group-1', 'stranger']) expect(await store().identity.isKnown(tenant, id), id).toBe(false);
      for (const id of ['with-traits', 'link-target', 'event-user']) expect(await store().identity.isKnown(other, id), `${id} in another tenant`).toBe(false);
    });
  });

  describe('identity: anonymous ids carried by events', () => {
    const segmentEvent = (tenant: string, ms: number, anonymousId: string, userId: string | null) =>
      makeEvent(tenant, T0 + ms, { source: '/segment', userId, data: { event: 'Note', anonymousId } });

    it('knows an anonymous id that Segment events carry, unless they are all about the given user', async () => {
      const tenant = await newTenant(store());
      const other = await newTenant(store());
      await store().events.append([
        segmentEvent(tenant, 1, 'anon-visitor', null), segmentEvent(tenant, 2, 'anon-alice', 'alice'),
        segmentEvent(tenant, 3, 'anon-bob', 'bob'), segmentEvent(tenant, 4, 'anon-both', 'alice'), segmentEvent(tenant, 5, 'anon-both', null),
        // Only Segment events have an anonymous id: a native event's data field of that name is payload.
        makeEvent(tenant, T0 + 6, { source: '/apps/x', data: { anonymousId: 'anon-native' } }),
      ], 0);
      for (const id of ['anon-visitor', 'anon-alice', 'anon-bob', 'anon-both']) expect(await store().identity.isKnown(tenant, id), id).toBe(true);
      expect(await store().identity.isKnown(tenant, 'anon-alice', 'alice')).toBe(false);
      for (const id of ['anon-visitor', 'anon-bob', 'anon-both']) expect(await store().identity.isKnown(tenant, id, 'alice'), `${id} aside from alice`).toBe(true);
      // Users on either side of "alice" in sort order are found as well.
      expect(await store().identity.isKnown(tenant, 'anon-bob', 'zed')).toBe(true);
      expect(await store().identity.isKnown(tenant, 'anon-bob', 'bob')).toBe(false);
      expect(await store().identity.isKnown(tenant, 'anon-native')).toBe(false);
      expect(await store().identity.isKnown(other, 'anon-visitor')).toBe(false);
    });
  });

  describe('stats', () => {
    it('counts each event exactly once and totals per type and hour', async () => {
      const tenant = await newTenant(store());
      const consumer = newConsumer('stats');
      const ev = (type: string, time: number) => ({ id: idAt(time), tenantId: tenant, type, time });
      const a = ev('page.viewed', T0 + 10);
      const b = ev('page.viewed', T0 + 20);
      const c = ev('order.placed', T0 + HOUR + 5);
      const d = ev('page.viewed', T0 + 2 * HOUR);
      expect(await store().stats.countOnce(consumer, [a, b])).toBe(2);
      expect(await store().stats.countOnce(consumer, [a, b])).toBe(0);
      expect(await store().stats.countOnce(consumer, [b, c, c, d])).toBe(2);
      expect(await store().stats.countOnce(consumer, [])).toBe(0);
      expect(await store().stats.totals(tenant, T0, T0 + 2 * HOUR)).toEqual([
        { type: 'page.viewed', hour: T0, count: 2 },
        { type: 'order.placed', hour: T0 + HOUR, count: 1 },
      ]);
      expect(await store().stats.totals(tenant, T0 + HOUR + 30, T0 + 3 * HOUR)).toEqual([
        { type: 'order.placed', hour: T0 + HOUR, count: 1 },
        { type: 'page.viewed', hour: T0 + 2 * HOUR, count: 1 },
      ]);
      expect(await store().stats.appliedCount(consumer, tenant)).toBe(4);
      expect(await store().stats.appliedCount(newConsumer(), tenant)).toBe(0);
      expect(await store().stats.appliedCount(consumer, await newTenant(store()))).toBe(0);
    });

    it('counts once when two consumers of one name apply the same events concurrently', async () => {
      const tenant = await newTenant(store());
      const consumer = newConsumer('stats');
      const events = Array.from({ length: 20 }, (_, i) => ({ id: idAt(T0 + i), tenantId: tenant, type: 'x.y', time: T0 }));
      const applied = await Promise.all([store().stats.countOnce(consumer, events), store().stats.countOnce(consumer, events.slice(5))]);
      expect(applied[0] + applied[1]).toBe(20);
      expect(await store().stats.totals(tenant, T0, T0 + HOUR)).toEqual([{ type: 'x.y', hour: T0, count: 20 }]);
    });
  });
}
