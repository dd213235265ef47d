/**
 * Erasing and exporting a person in the retrieval feature (through the app's privacy registry):
 * the documents they own in per-user collections and the ones they wrote as a member in shared
 * ones; nobody else's, in no other tenant. Erased documents leave the search index too.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestApp, type TestApp } from '../helpers/app.js';

let t: TestApp;
let tenantId: string;
let alice: string;
let bob: string;
const ids: Record<string, string> = {};

const searchIds = async (collection: string, query: string): Promise<string[]> => {
  const res = await t.call('POST', '/v1/search', { collections: [collection], query, mode: 'lexical', limit: 20 });
  expect(res.statusCode, res.body).toBe(200);
  return res.json().items.map((i: { documentId: string }) => i.documentId).sort();
};
const exported = async (userId: string) =>
  ((await t.app.privacy.exportUser(tenantId, userId)).retrieval as { documents: Array<{ collection: string; id: string }> }).documents
    .map((d) => `${d.collection}/${d.id}`).sort();

beforeAll(async () => {
  t = await startTestApp();
  tenantId = (await t.app.backends.store.tenants.bySlug('demo'))!.id;
  alice = await t.memberKey('alice');
  bob = await t.memberKey('bob');
  expect((await t.call('POST', '/v1/collections', { name: 'user-events', template: 'user-events' })).statusCode).toBe(201);
  const reviews = await t.call('POST', '/v1/collections', {
    name: 'reviews', textFields: ['text'], memberWrites: true, sources: [{ type: 'review.posted', op: 'upsert', idField: 'reviewId' }],
  });
  expect(reviews.statusCode, reviews.body).toBe(201);
  ids.aliceQuery = (await t.call('POST', '/v1/events', { type: 'query.executed', data: { query: 'wombat burrows near Perth' } }, alice)).json().id;
  ids.bobQuery = (await t.call('POST', '/v1/events', { type: 'query.executed', data: { query: 'wombat burrows near Hobart' } }, bob)).json().id;
  await t.call('POST', '/v1/events', { type: 'review.posted', data: { reviewId: 'r-alice', text: 'wombat tour was great' } }, alice);
  await t.call('POST', '/v1/events', { type: 'review.posted', data: { reviewId: 'r-bob', text: 'wombat tour was fine' } }, bob);
  // An admin's document naming alice is not hers: she neither owns nor wrote it.
  await t.call('PUT', '/v1/collections/reviews/documents/r-admin?wait=true', { text: 'wombat tour by the staff', userId: 'alice' });
  await eventually(async () => (await searchIds('user-events', 'wombat')).length === 2 && (await searchIds('reviews', 'wombat')).length === 3);
});
afterAll(async () => { await t?.close(); });

describe('retrieval privacy hooks', () => {
  it('export holds what the user owns or wrote, nothing of anyone else', async () => {
    expect(await exported('alice')).toEqual([`reviews/r-alice`, `user-events/${ids.aliceQuery}`].sort());
    expect(await exported('bob')).toEqual([`reviews/r-bob`, `user-events/${ids.bobQuery}`].sort());
    expect(await exported('nobody')).toEqual([]);
  });

  it('erase removes them from the store and the index, leaves other users and tenants alone', async () => {
    const other = (await t.app.backends.store.tenants.ensure('other-tenant')).tenant.id;
    await t.app.retrieval.repo.putDocument(other, 'reviews', {
      id: 'r-alice', fields: { text: 'elsewhere' }, contentHash: 'h', sourceEventId: 'e', deleted: false, updatedAt: 1, writer: 'alice', owner: null,
    });

    const result = await t.app.privacy.eraseUser(tenantId, 'alice');
    expect(result.byFeature.retrieval).toBe(2);

    expect(await searchIds('user-events', 'wombat')).toEqual([ids.bobQuery]);
    expect(await searchIds('reviews', 'wombat')).toEqual(['r-admin', 'r-bob']);
    expect((await t.call('GET', '/v1/collections/reviews/documents/r-alice')).statusCode).toBe(404);
    expect((await t.call('GET', '/v1/collections/reviews/documents/r-bob')).statusCode).toBe(200);
    expect(await exported('alice')).toEqual([]);
    expect(await exported('bob')).toHaveLength(2);
    expect(await t.app.retrieval.repo.getDocument(other, 'reviews', 'r-alice')).toBeDefined();

    // Idempotent: erasing again finds nothing more.
    expect((await t.app.privacy.eraseUser(tenantId, 'alice')).byFeature.retrieval).toBe(0);
  });
});
