/**
 * The identity feature's store and projection on SQLite and PostgreSQL: Segment identify, alias
 * and group events become traits and links in the batch's transaction; each trait and link is
 * the latest event's whatever order events are applied in (so replays, retries and a rebuild
 * running beside live events end where one pass over the log does); anonymous ids' traits
 * reach their user through the link; only Segment events count; member-check lookups; privacy
 * export and erase of one person.
 */
import { expect, it } from 'vitest';
import { identityConsumer } from '../../src/identity/profiles/profile.projection.js';
import { sqlProfileStore } from '../../src/identity/profiles/profile.sql.js';
import { createLogger } from '../../src/platform/logger.js';
import type { LogEntry } from '../../src/ports/events.types.js';
import { describeOnEachDialect } from './feature-stores.js';
import { T0, makeEvent, newTenant } from './store.fixtures.js';

let seq = 0;
const context = { attempt: 1, logger: createLogger('silent', 'test'), signal: new AbortController().signal };

/** A stored Segment event as the log hands it to consumers. */
function segment(tenantId: string, type: string, userId: string | null, data: Record<string, unknown>): LogEntry {
  seq += 1;
  return { ...makeEvent(tenantId, T0 + seq, { type, source: '/segment', userId, data }), seq };
}
const identify = (tenant: string, userId: string | null, traits: Record<string, unknown>, anonymousId?: string) =>
  segment(tenant, 'user.identified', userId, { traits, ...(anonymousId ? { anonymousId } : {}) });
const alias = (tenant: string, previousId: string, userId: string) => segment(tenant, 'user.aliased', userId, { previousId });
const group = (tenant: string, userId: string | null, groupId: string, anonymousId?: string) =>
  segment(tenant, 'user.grouped', userId, { groupId, traits: {}, ...(anonymousId ? { anonymousId } : {}) });

describeOnEachDialect('identity store', ({ store, inTx }) => {
  const profiles = () => sqlProfileStore(store().db);
  const project = (events: LogEntry[]) => inTx((tx) => identityConsumer(profiles()).handleBatch!(events, tx, context));
  const snapshot = async (tenant: string, users: string[], ids: string[]) => ({
    traits: Object.fromEntries(await Promise.all(users.map(async (u) => [u, await profiles().traits(tenant, u)]))),
    resolved: Object.fromEntries(await Promise.all(ids.map(async (id) => [id, await profiles().resolve(tenant, id)]))),
    exports: await Promise.all(users.map((u) => profiles().exportUser(tenant, u))),
  });

  it('merges traits shallowly in log order, per tenant and user', async () => {
    const tenant = await newTenant(store());
    const other = await newTenant(store());
    expect(await profiles().traits(tenant, 'u1')).toBeUndefined();
    await project([identify(tenant, 'u1', { name: 'Ada', plan: 'free', address: { city: 'Berlin' } }), identify(other, 'u1', { name: 'Other' })]);
    await project([identify(tenant, 'u1', { plan: 'pro', address: { zip: '10115' } })]);
    expect(await profiles().traits(tenant, 'u1')).toEqual({ name: 'Ada', plan: 'pro', address: { zip: '10115' } });
    expect(await profiles().traits(other, 'u1')).toEqual({ name: 'Other' });
  });

  it('keeps a `__proto__` trait as a plain key, never as a prototype', async () => {
    const tenant = await newTenant(store());
    const hostile = JSON.parse('{"__proto__": {"isAdmin": true}, "plan": "x"}') as Record<string, unknown>;
    await project([identify(tenant, null, hostile, 'anon-p'), identify(tenant, 'pat', JSON.parse('{"__proto__": {"role": "root"}}')), identify(tenant, 'pat', {}, 'anon-p')]);
    const traits = (await profiles().traits(tenant, 'pat'))!;
    expect(Object.getPrototypeOf(traits)).toBe(Object.prototype);
    expect(Object.hasOwn(traits, '__proto__')).toBe(true);
    expect(JSON.stringify(traits)).toBe('{"__proto__":{"role":"root"},"plan":"x"}');
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
  });

  it('writes nothing of a batch whose transaction rolls back', async () => {
    const tenant = await newTenant(store());
    await expect(inTx(async (tx) => {
      await identityConsumer(profiles()).handleBatch!([identify(tenant, 'u1', { plan: 'pro' }, 'anon-1')], tx, context);
      throw new Error('the position write failed');
    })).rejects.toThrow('the position write failed');
    expect(await profiles().traits(tenant, 'u1')).toBeUndefined();
    expect(await profiles().resolve(tenant, 'anon-1')).toBeUndefined();
  });

  it('stitches anonymous ids and aliases to users, and moves a link when a later event says so', async () => {
    const tenant = await newTenant(store());
    const other = await newTenant(store());
    await project([identify(tenant, 'user-1', {}, 'anon-1'), alias(tenant, 'old-id', 'user-2'), group(tenant, 'user-1', 'group-1')]);
    expect(await profiles().resolve(tenant, 'anon-1')).toBe('user-1');
    expect(await profiles().resolve(tenant, 'old-id')).toBe('user-2');
    expect(await profiles().resolve(tenant, 'user-1')).toBeUndefined();
    expect(await profiles().resolve(other, 'anon-1')).toBeUndefined();
    await project([identify(tenant, 'user-3', {}, 'anon-1')]);
    expect(await profiles().resolve(tenant, 'anon-1')).toBe('user-3');
  });

  it('reads an anonymous id\'s traits as its user\'s once stitched; the user\'s own win', async () => {
    const tenant = await newTenant(store());
    await project([identify(tenant, null, { email: 'carol@example.com', plan: 'free' }, 'anon-carol'), identify(tenant, 'carol', { plan: 'pro' })]);
    expect(await profiles().traits(tenant, 'carol')).toEqual({ plan: 'pro' });
    await project([identify(tenant, 'carol', {}, 'anon-carol')]);
    expect(await profiles().traits(tenant, 'carol')).toEqual({ email: 'carol@example.com', plan: 'pro' });
    expect(await profiles().traits(tenant, 'anon-carol')).toEqual({ email: 'carol@example.com', plan: 'free' });
    await project([alias(tenant, 'carol-legacy', 'carol'), identify(tenant, 'carol-legacy', { legacy: true })]);
    expect(await profiles().traits(tenant, 'carol')).toEqual({ email: 'carol@example.com', plan: 'pro', legacy: true });
  });

  it('ends in the same rows whatever order, batching or repetition events are applied in', async () => {
    const tenant = await newTenant(store());
    const log = [
      identify(tenant, null, { seen: 1, plan: 'trial' }, 'anon-d'), identify(tenant, 'dora', { plan: 'free', name: 'Dora' }),
      identify(tenant, 'dora', {}, 'anon-d'), identify(tenant, 'dora', { plan: 'pro' }), alias(tenant, 'dora-old', 'dora'),
      identify(tenant, 'eve', {}, 'anon-d'), identify(tenant, 'dora', {}, 'anon-d'), group(tenant, 'dora', 'team-1'), identify(tenant, 'dora', { plan: 'enterprise' }),
    ];
    const copy = await newTenant(store());
    const inOrder = log.map((e) => ({ ...e, tenantId: copy }));
    await project(inOrder);
    const expected = await snapshot(copy, ['dora', 'eve', 'anon-d'], ['anon-d', 'dora-old']);
    expect(expected.traits.dora).toEqual({ seen: 1, plan: 'enterprise', name: 'Dora' });
    expect(expected.resolved).toEqual({ 'anon-d': 'dora', 'dora-old': 'dora' });
    // Reversed, one event per batch, then everything again (a replay) and an old event once more (a retry).
    for (const event of [...log].reverse()) await project([event]);
    await project(log);
    await project([log[1]!, log[5]!]);
    const got = await snapshot(tenant, ['dora', 'eve', 'anon-d'], ['anon-d', 'dora-old']);
    expect(got.traits).toEqual(expected.traits);
    expect(got.resolved).toEqual(expected.resolved);
    expect(got.exports.map((e) => ({ ...e, links: e.links.map((l) => ({ ...l, createdAt: 0 })) })))
      .toEqual(expected.exports.map((e) => ({ ...e, links: e.links.map((l) => ({ ...l, createdAt: 0 })) })));
  });

  it('rebuilds one tenant from the log: cleared, then the same rows, with live events applied in between', async () => {
    const tenant = await newTenant(store());
    const other = await newTenant(store());
    const history = [identify(tenant, null, { email: 'f@example.com' }, 'anon-f'), identify(tenant, 'frank', { plan: 'free' }, 'anon-f'), alias(tenant, 'frank-old', 'frank')];
    await project([...history, identify(other, 'frank', { plan: 'other' })]);
    const before = await snapshot(tenant, ['frank'], ['anon-f', 'frank-old']);
    await inTx((tx) => identityConsumer(profiles()).rebuildTenant!(tenant, tx));
    expect(await profiles().traits(tenant, 'frank')).toBeUndefined();
    expect(await profiles().resolve(tenant, 'anon-f')).toBeUndefined();
    expect(await profiles().traits(other, 'frank')).toEqual({ plan: 'other' });
    // A live event after the rebuild's cut lands before the replay reaches the older ones.
    const live = identify(tenant, 'frank', { plan: 'pro' });
    await project([live]);
    await project(history);
    expect(await profiles().traits(tenant, 'frank')).toEqual({ ...before.traits.frank, plan: 'pro' });
    expect((await snapshot(tenant, ['frank'], ['anon-f', 'frank-old'])).resolved).toEqual(before.resolved);
  });

  it('takes facts from Segment events only', async () => {
    const tenant = await newTenant(store());
    const native = { ...identify(tenant, 'mallory', { plan: 'pro' }, 'anon-victim'), source: '/apps/x' };
    await project([native, { ...alias(tenant, 'victim', 'mallory'), source: '/tenants/acme' }, segment(tenant, 'page.viewed', 'mallory', { traits: { x: 1 } })]);
    expect(await profiles().traits(tenant, 'mallory')).toBeUndefined();
    expect(await profiles().resolve(tenant, 'anon-victim')).toBeUndefined();
    expect(await profiles().resolve(tenant, 'victim')).toBeUndefined();
  });

  it('knows an id by its traits, as a link target, or as the user of events, per tenant', async () => {
    const tenant = await newTenant(store());
    const other = await newTenant(store());
    await project([identify(tenant, 'with-traits', { plan: 'pro' }), alias(tenant, 'old-id', 'link-target'), group(tenant, 'group-member', 'group-1')]);
    await store().events.append([makeEvent(tenant, T0, { userId: 'event-user' })], 0);
    for (const id of ['with-traits', 'link-target', 'event-user']) expect(await profiles().isKnown(tenant, id), id).toBe(true);
    // An id only linked from, a group, and a stranger are nobody yet; nor is anyone in another tenant.
    for (const id of ['old-id', 'group-1', 'stranger']) expect(await profiles().isKnown(tenant, id), id).toBe(false);
    for (const id of ['with-traits', 'link-target', 'event-user']) expect(await profiles().isKnown(other, id), `${id} in another tenant`).toBe(false);
  });

  it('knows an anonymous id that Segment events carry, unless they are all about the given user', async () => {
    const tenant = await newTenant(store());
    const other = await newTenant(store());
    const carried = (ms: number, anonymousId: string, userId: string | null) =>
      makeEvent(tenant, T0 + ms, { source: '/segment', userId, data: { event: 'Note', anonymousId } });
    await store().events.append([
      carried(1, 'anon-visitor', null), carried(2, 'anon-alice', 'alice'), carried(3, 'anon-bob', 'bob'), carried(4, 'anon-both', 'alice'), carried(5, 'anon-both', null),
      // Only Segment events have an anonymous id: a native event's data field of that name is payload.
      makeEvent(tenant, T0 + 6, { source: '/apps/x', data: { anonymousId: 'anon-native' } }),
    ], 0);
    for (const id of ['anon-visitor', 'anon-alice', 'anon-bob', 'anon-both']) expect(await profiles().isKnown(tenant, id), id).toBe(true);
    expect(await profiles().isKnown(tenant, 'anon-alice', 'alice')).toBe(false);
    for (const id of ['anon-visitor', 'anon-bob', 'anon-both']) expect(await profiles().isKnown(tenant, id, 'alice'), `${id} aside from alice`).toBe(true);
    expect(await profiles().isKnown(tenant, 'anon-bob', 'zed')).toBe(true);
    expect(await profiles().isKnown(tenant, 'anon-bob', 'bob')).toBe(false);
    expect(await profiles().isKnown(tenant, 'anon-native')).toBe(false);
    expect(await profiles().isKnown(other, 'anon-visitor')).toBe(false);
  });

  it('exports and erases one person: their traits, their stitched ids\' traits and their links, nobody else\'s', async () => {
    const tenant = await newTenant(store());
    const other = await newTenant(store());
    await project([
      identify(tenant, null, { email: 'g@example.com' }, 'anon-g'), identify(tenant, 'gina', { plan: 'pro' }, 'anon-g'),
      alias(tenant, 'gina-old', 'gina'), group(tenant, 'gina', 'team-g'), identify(tenant, 'hugo', { plan: 'free' }, 'anon-h'), group(tenant, 'hugo', 'team-g'),
      identify(other, 'gina', { plan: 'other' }, 'anon-g'),
    ]);
    const exported = await profiles().exportUser(tenant, 'gina');
    expect(exported.traits).toEqual({ plan: 'pro' });
    expect(exported.earlierTraits).toEqual({ 'anon-g': { email: 'g@example.com' } });
    expect(exported.links.map((l) => `${l.kind}:${l.fromId}>${l.toId}`).sort()).toEqual(['alias:gina-old>gina', 'anonymous:anon-g>gina', 'group:gina>team-g']);
    expect(await profiles().eraseUser(tenant, 'gina')).toBe(5);
    expect(await profiles().exportUser(tenant, 'gina')).toEqual({ traits: null, earlierTraits: {}, links: [] });
    expect(await profiles().traits(tenant, 'gina')).toBeUndefined();
    expect(await profiles().resolve(tenant, 'anon-g')).toBeUndefined();
    expect(await profiles().traits(tenant, 'hugo')).toEqual({ plan: 'free' });
    expect((await profiles().exportUser(tenant, 'hugo')).links).toHaveLength(2);
    expect(await profiles().traits(other, 'gina')).toEqual({ plan: 'other' });
    expect(await profiles().eraseUser(tenant, 'nobody')).toBe(0);
  });
});
