/**
 * The feature loop and the privacy registry with two fake features: setup in list order, their
 * consumers in the registry, their routes and apis, start in order and close in reverse, and one
 * erase/export call that reaches every feature's hooks (and every one of them even when one fails).
 */
import { describe, expect, it } from 'vitest';
import { ConsumerRegistry } from '../../src/events/consumers/consumer.registry.js';
import { defineFeature, type FeatureContext, type PrivacyHooks } from '../../src/feature.js';
import { FeatureHost, featureMigrations } from '../../src/feature-host.js';
import { PrivacyRegistry } from '../../src/identity/privacy.registry.js';

/** A feature that keeps rows per (tenant, user) in memory and logs its lifecycle. */
function fakeFeature(name: string, log: string[], rows: Map<string, string[]>, options: { failErase?: boolean } = {}) {
  const privacy: PrivacyHooks = {
    async eraseUser(tenantId, userId) {
      if (options.failErase) throw new Error(`${name} is down`);
      const key = `${tenantId}/${userId}`;
      const n = rows.get(key)?.length ?? 0;
      rows.delete(key);
      return n;
    },
    async exportUser(tenantId, userId) {
      return { items: [...(rows.get(`${tenantId}/${userId}`) ?? [])] };
    },
  };
  return defineFeature<{ name: string }>({
    name,
    migrations: (dialect) => ({ [`001_${name}_${dialect}`]: { async up() {} } }),
    ...(name === 'beta' ? { adopts: ['002_old_beta'] } : {}),
    setup() {
      log.push(`setup ${name}`);
      return {
        consumers: [{ name: `${name}-consumer`, description: name, types: ['*'], delivery: 'durable', async handle() {} }],
        routes: [{ plugin: async () => {}, options: { name } }],
        privacy,
        start: async () => { log.push(`start ${name}`); },
        close: async () => { log.push(`close ${name}`); },
        api: { name },
      };
    },
  });
}

const context = {} as FeatureContext;

describe('FeatureHost', () => {
  it('sets up, starts and closes the features in list order (closing in reverse)', async () => {
    const log: string[] = [];
    const registry = new ConsumerRegistry();
    const privacy = new PrivacyRegistry();
    const features = [fakeFeature('alpha', log, new Map()), fakeFeature('beta', log, new Map())];
    const host = await FeatureHost.setup(features, context, { registry, privacy });
    expect(registry.list().map((c) => c.name)).toEqual(['alpha-consumer', 'beta-consumer']);
    expect(host.routes().map((r) => r.options)).toEqual([{ name: 'alpha' }, { name: 'beta' }]);
    expect(host.apis()).toEqual({ alpha: { name: 'alpha' }, beta: { name: 'beta' } });
    expect(privacy.features()).toEqual(['alpha', 'beta']);
    await host.start();
    await host.close();
    expect(log).toEqual(['setup alpha', 'setup beta', 'start alpha', 'start beta', 'close beta', 'close alpha']);
  });

  it('hands a feature the api of the features listed before it, not of later ones', async () => {
    const seen: Record<string, unknown> = {};
    const reader = (name: string) => defineFeature({ name, setup(ctx) { seen[name] = { alpha: ctx.featureApi('alpha'), gamma: ctx.featureApi('gamma') }; return {}; } });
    await FeatureHost.setup([fakeFeature('alpha', [], new Map()), reader('beta'), fakeFeature('gamma', [], new Map())], context, { registry: new ConsumerRegistry(), privacy: new PrivacyRegistry() });
    expect(seen.beta).toEqual({ alpha: { name: 'alpha' }, gamma: undefined });
  });

  it('closes what was set up when a later feature fails its setup', async () => {
    const log: string[] = [];
    const broken = defineFeature({ name: 'broken', setup() { throw new Error('no'); } });
    await expect(FeatureHost.setup([fakeFeature('alpha', log, new Map()), broken], context, { registry: new ConsumerRegistry(), privacy: new PrivacyRegistry() }))
      .rejects.toThrow('no');
    expect(log).toEqual(['setup alpha', 'close alpha']);
  });

  it('lists each feature\'s migrations under its name with what it adopts', () => {
    const log: string[] = [];
    const list = featureMigrations([fakeFeature('alpha', log, new Map()), fakeFeature('beta', log, new Map())], 'postgres');
    expect(list.map((f) => ({ name: f.name, names: Object.keys(f.migrations), adopts: f.adopts }))).toEqual([
      { name: 'alpha', names: ['001_alpha_postgres'], adopts: undefined },
      { name: 'beta', names: ['001_beta_postgres'], adopts: ['002_old_beta'] },
    ]);
  });
});

describe('PrivacyRegistry', () => {
  it('erases and exports one user across every feature, in their tenant only', async () => {
    const alphaRows = new Map([['t1/ada', ['a1', 'a2']], ['t1/bob', ['a3']], ['t2/ada', ['a4']]]);
    const betaRows = new Map([['t1/ada', ['b1']]]);
    const privacy = new PrivacyRegistry();
    await FeatureHost.setup([fakeFeature('alpha', [], alphaRows), fakeFeature('beta', [], betaRows)], context, { registry: new ConsumerRegistry(), privacy });

    expect(await privacy.exportUser('t1', 'ada')).toEqual({ alpha: { items: ['a1', 'a2'] }, beta: { items: ['b1'] } });
    expect(await privacy.eraseUser('t1', 'ada')).toEqual({ byFeature: { alpha: 2, beta: 1 }, total: 3 });
    expect(await privacy.exportUser('t1', 'ada')).toEqual({ alpha: { items: [] }, beta: { items: [] } });
    // Other users and the same user id in another tenant keep their rows.
    expect([...alphaRows.keys()].sort()).toEqual(['t1/bob', 't2/ada']);
  });

  it('asks every feature to erase even when one fails, then reports the failure', async () => {
    const alphaRows = new Map([['t1/ada', ['a1']]]);
    const privacy = new PrivacyRegistry();
    await FeatureHost.setup([fakeFeature('alpha', [], new Map(), { failErase: true }), fakeFeature('beta', [], alphaRows)], context, { registry: new ConsumerRegistry(), privacy });
    await expect(privacy.eraseUser('t1', 'ada')).rejects.toThrow(/1 feature/);
    expect(alphaRows.size).toBe(0);
  });

  it('refuses a second set of hooks under one name', () => {
    const privacy = new PrivacyRegistry();
    const hooks: PrivacyHooks = { eraseUser: async () => 0, exportUser: async () => ({}) };
    privacy.register('alpha', hooks);
    expect(() => privacy.register('alpha', hooks)).toThrow(/already/);
  });
});
