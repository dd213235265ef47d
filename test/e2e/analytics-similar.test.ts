/**
 * Similar people over HTTP (SQLite, embedded index, hash embedder): the person of the same habits
 * ranks first and `shared` names the types they share; admins only (members 403, even for
 * themselves: the answer names other users); an unknown person, or one of another tenant, is
 * 404; bad limits 400; the `_people` collection is neither listed nor searchable as a user
 * collection; a rebuild by replay ends with the same list; erase removes the person and their vector.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../src/identity/keys.service.js';
import { eventually, startTestApp, type TestApp } from '../helpers/app.js';

let t: TestApp;
let rae: string;
let otherAdmin: string;
const READING = ['article.viewed', 'article.viewed', 'article.shared', 'query.executed'];
const BUYING = ['cart.changed', 'order.placed', 'order.placed', 'app.opened'];

async function caughtUp(): Promise<void> {
  await eventually(async () => {
    const c = (await t.call('GET', '/v1/consumers')).json().items.find((i: { name: string }) => i.name === 'analytics-similar');
    return c && c.replaying === 0 && c.lagEvents === 0;
  });
}

const similar = async (userId: string, query = '', key: string | null = t.adminKey) => t.call('GET', `/v1/analytics/users/${userId}/similar${query}`, undefined, key);

function habit(userId: string, types: string[], rounds: number, query: string): object[] {
  return Array.from({ length: rounds }, () => types.map((type) => ({
    type, userId, category: type.split('.')[0], data: type === 'query.executed' ? { query } : {},
  }))).flat();
}

beforeAll(async () => {
  t = await startTestApp();
  const store = t.app.backends.store;
  rae = await t.memberKey('rae');
  const { tenant: other } = await store.tenants.ensure('other-similar');
  otherAdmin = (await createApiKey(store, { tenantId: other.id, role: 'admin' })).key;
  const res = await t.call('POST', '/v1/events/batch', {
    events: [
      ...habit('rae', READING, 5, 'heat pump noise at night'), ...habit('ray', READING, 4, 'quiet heat pump models'),
      ...habit('bo', BUYING, 5, ''), ...habit('mix', [...READING.slice(0, 2), ...BUYING.slice(0, 2)], 3, 'order status'),
    ],
  }, t.ingestKey);
  expect(res.statusCode, res.body).toBe(202);
  await caughtUp();
});

afterAll(async () => { await t?.close(); });

describe('analytics: similar people', () => {
  it('ranks the person of the same habits first and says what they share', async () => {
    const res = await similar('rae');
    expect(res.statusCode, res.body).toBe(200);
    const { items } = res.json();
    expect(items.map((i: { userId: string }) => i.userId)).toEqual(['ray', 'mix', 'bo']);
    expect(items[0].score).toBeGreaterThan(items[1].score);
    expect(items[1].score).toBeGreaterThan(items[2].score);
    expect(items[0].shared.types.map((s: { key: string }) => s.key)).toEqual(['article.viewed', 'article.shared', 'query.executed']);
    expect(items[0].shared.types[0]).toEqual({ key: 'article.viewed', userShare: 0.5, otherShare: 0.5 });
    expect(items[0].shared.categories.map((s: { key: string }) => s.key)).toContain('article');
    // Intents come from the categorizer when it is part of the server (shares of the intents each person has).
    for (const i of items[0].shared.intents) expect(i.userShare > 0 && i.userShare <= 1 && i.otherShare > 0 && i.otherShare <= 1, JSON.stringify(i)).toBe(true);
    expect(items[2].shared.types).toEqual([]); // bo does nothing rae does
    expect((await similar('rae', '?limit=1')).json().items.map((i: { userId: string }) => i.userId)).toEqual(['ray']);
    expect((await similar('bo')).json().items[0].userId).toBe('mix');
  });

  it('is for admins only: members get 403 even about themselves, the ingest key too', async () => {
    const self = await similar('rae', '', rae);
    expect(self.statusCode).toBe(403);
    expect(self.headers['content-type']).toContain('application/problem+json');
    expect(self.json().detail).toContain('admin');
    expect(self.body).not.toContain('ray');
    expect((await similar('ray', '', rae)).statusCode).toBe(403);
    expect((await similar('rae', '', t.ingestKey)).statusCode).toBe(403);
    expect((await similar('rae', '', null)).statusCode).toBe(401);
  });

  it('answers 404 for a person with no events, and for another tenant\'s admin (who has no such person)', async () => {
    const unknown = await similar('nobody');
    expect(unknown.statusCode).toBe(404);
    expect(unknown.headers['content-type']).toContain('application/problem+json');
    const other = await similar('rae', '', otherAdmin);
    expect(other.statusCode).toBe(404);
    expect(other.body).not.toContain('ray');
  });

  it('answers 400 for bad input', async () => {
    for (const query of ['?limit=0', '?limit=51', '?limit=abc', '?extra=1']) {
      const res = await similar('rae', query);
      expect(res.statusCode, query).toBe(400);
    }
  });

  it('keeps the person vectors out of the user collections', async () => {
    const listed = (await t.call('GET', '/v1/collections')).json();
    expect(JSON.stringify(listed)).not.toContain('_people');
    const search = await t.call('POST', '/v1/search', { query: 'heat pump', collections: ['_people'] });
    expect([400, 404]).toContain(search.statusCode);
    expect(search.body).not.toContain('rae');
    expect((await t.call('DELETE', '/v1/collections/_people')).statusCode).toBeGreaterThanOrEqual(400);
    expect((await similar('rae')).json().items).toHaveLength(3);
  });

  it('a rebuild by replay ends with the same list', async () => {
    const before = await Promise.all(['rae', 'ray', 'bo', 'mix'].map(async (u) => (await similar(u)).json()));
    const replay = await t.call('POST', '/v1/consumers/analytics-similar/replay', {});
    expect(replay.statusCode, replay.body).toBe(202);
    expect(replay.json().mode).toBe('rebuild');
    await caughtUp();
    const after = await Promise.all(['rae', 'ray', 'bo', 'mix'].map(async (u) => (await similar(u)).json()));
    expect(after).toEqual(before);
  });

  it('exports and erases a person: rows and their vector', async () => {
    const tenantId = (await t.app.backends.store.tenants.bySlug('demo'))!.id;
    const exported = (await t.app.privacy.exportUser(tenantId, 'ray')).analytics!.similarity as { profile: { types: Record<string, number> }; texts: string[] };
    expect(exported.profile.types['article.viewed']).toBe(8);
    expect(exported.texts).toHaveLength(4);
    await t.app.privacy.eraseUser(tenantId, 'ray');
    expect((await similar('ray')).statusCode).toBe(404);
    expect((await similar('rae')).json().items.map((i: { userId: string }) => i.userId)).toEqual(['mix', 'bo']);
    const hits = await t.app.backends.searchIndex.search({ tenantId, collection: '_people', query: '', vector: new Array(384).fill(1 / Math.sqrt(384)), mode: 'dense', limit: 10 });
    expect(hits.map((h) => h.documentId).sort()).toEqual(['bo', 'mix', 'rae']);
  });
});
