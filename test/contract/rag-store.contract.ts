/**
 * The RagStore contract: the retrieval feature's store adapter passes it on every dialect.
 * `describeRagStoreContract(name, factory)`: the factory gives a fresh, migrated store (its own
 * file or schema) and a teardown that removes it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CollectionSettings } from '../../src/rag/collections/collection.schemas.js';
import type { Collection, RagStore, StoredDocument } from '../../src/rag/store/rag.store.js';

export interface RagStoreHarness {
  store: RagStore;
  teardown(): Promise<void>;
}

const settings = (types: string[], scope: 'shared' | 'user' = 'shared'): CollectionSettings => ({
  textFields: ['text'], metadata: {}, chunking: { size: 1200, overlap: 150, markdown: true }, language: 'auto',
  sources: types.map((type) => ({ type, op: 'upsert' as const, idField: 'id' })), scope,
});

const collection = (tenantId: string, name: string, types: string[] = [], scope: 'shared' | 'user' = 'shared'): Collection => ({
  tenantId, name, template: null, settings: settings(types, scope), embedderModel: 'hash', dimension: 256, createdAt: 1_000, updatedAt: 1_000,
});

const doc = (id: string, over: Partial<StoredDocument> = {}): StoredDocument => ({
  id, fields: { text: `text of ${id}` }, contentHash: `h-${id}`, sourceEventId: `e-${id}`, deleted: false, updatedAt: 2_000, writer: null, owner: null, ...over,
});

export function describeRagStoreContract(name: string, factory: () => Promise<RagStoreHarness>): void {
  describe(`RagStore contract: ${name}`, () => {
    let harness: RagStoreHarness | undefined;
    const store = (): RagStore => {
      if (!harness) throw new Error('store not created');
      return harness.store;
    };
    beforeAll(async () => { harness = await factory(); });
    afterAll(async () => { await harness?.teardown(); });

    describe('collections', () => {
      it('inserts once, reads back, lists by name within the tenant only', async () => {
        expect(await store().insert(collection('t1', 'zeta', ['a.created']))).toBe(true);
        expect(await store().insert(collection('t1', 'alpha'))).toBe(true);
        expect(await store().insert({ ...collection('t1', 'alpha', ['other.type']), embedderModel: 'other' })).toBe(false);
        expect(await store().insert(collection('t2', 'alpha'))).toBe(true);
        expect((await store().list('t1')).map((c) => c.name)).toEqual(['alpha', 'zeta']);
        expect(await store().get('t1', 'zeta')).toEqual(collection('t1', 'zeta', ['a.created']));
        expect((await store().get('t1', 'alpha'))?.embedderModel).toBe('hash');
        expect(await store().get('t3', 'alpha')).toBeUndefined();
        expect((await store().listAll()).map((c) => `${c.tenantId}/${c.name}`)).toEqual(['t1/alpha', 't1/zeta', 't2/alpha']);
      });

      it('updates settings, model and dimension', async () => {
        const next = { ...collection('t1', 'alpha', ['b.created']), embedderModel: 'm2', dimension: 8, updatedAt: 5_000 };
        await store().update(next);
        expect(await store().get('t1', 'alpha')).toEqual({ ...next, createdAt: 1_000 });
        expect((await store().get('t2', 'alpha'))?.embedderModel).toBe('hash');
      });

      it('sourceTypes: distinct types of every collection, following updates and removals', async () => {
        await store().insert(collection('t2', 'beta', ['a.created', 'a.created', 'c.updated']));
        expect((await store().sourceTypes()).sort()).toEqual(['a.created', 'b.created', 'c.updated']);
        await store().update(collection('t1', 'alpha', []));
        expect((await store().sourceTypes()).sort()).toEqual(['a.created', 'c.updated']);
        expect(await store().remove('t2', 'beta')).toBe(true);
        expect(await store().sourceTypes()).toEqual(['a.created']);
      });

      it('remove deletes the collection and its documents, nothing of other tenants', async () => {
        await store().insert(collection('t1', 'gone'));
        await store().putDocument('t1', 'gone', doc('d1'));
        await store().putDocument('t2', 'gone', doc('d1'));
        expect(await store().remove('t1', 'gone')).toBe(true);
        expect(await store().remove('t1', 'gone')).toBe(false);
        expect(await store().get('t1', 'gone')).toBeUndefined();
        expect(await store().getDocument('t1', 'gone', 'd1')).toBeUndefined();
        expect(await store().getDocument('t2', 'gone', 'd1')).toBeDefined();
      });
    });

    describe('documents', () => {
      it('writes, overwrites and reads back a version (fields round-trip as JSON)', async () => {
        const fields = { text: 'Grüße "quoted" \\ ✓', nested: { n: 1, list: [true, null] } };
        await store().putDocument('t1', 'docs', doc('a', { fields }));
        expect(await store().getDocument('t1', 'docs', 'a')).toEqual(doc('a', { fields }));
        await store().putDocument('t1', 'docs', doc('a', { fields: { text: 'v2' }, contentHash: 'h2', sourceEventId: 'e-2', updatedAt: 3_000, writer: 'u1' }));
        expect(await store().getDocument('t1', 'docs', 'a')).toEqual(doc('a', { fields: { text: 'v2' }, contentHash: 'h2', sourceEventId: 'e-2', updatedAt: 3_000, writer: 'u1' }));
        expect(await store().getDocument('t2', 'docs', 'a')).toBeUndefined();
        expect(await store().getDocument('t1', 'other', 'a')).toBeUndefined();
      });

      it('keeps tombstones out of pages and counts; pages in id order', async () => {
        for (const id of ['p3', 'p1', 'p2', 'p4']) await store().putDocument('t1', 'paged', doc(id));
        await store().putDocument('t1', 'paged', doc('p2', { fields: null, contentHash: null, deleted: true }));
        await store().putDocument('t2', 'paged', doc('p0'));
        expect(await store().getDocument('t1', 'paged', 'p2')).toMatchObject({ deleted: true, fields: null });
        expect((await store().pageDocuments('t1', 'paged', null, 2)).map((d) => d.id)).toEqual(['p1', 'p3']);
        expect((await store().pageDocuments('t1', 'paged', 'p3', 2)).map((d) => d.id)).toEqual(['p4']);
        expect(await store().pageDocuments('t1', 'paged', 'p4', 2)).toEqual([]);
        expect(await store().countDocuments('t1', 'paged')).toBe(3);
        expect(await store().countDocuments('t2', 'paged')).toBe(1);
      });

      it('clears one collection of one tenant; deletes named documents only', async () => {
        await store().putDocument('t1', 'clear', doc('c1'));
        await store().putDocument('t1', 'keep', doc('c1'));
        await store().putDocument('t2', 'clear', doc('c1'));
        await store().clearDocuments('t1', 'clear');
        expect(await store().getDocument('t1', 'clear', 'c1')).toBeUndefined();
        expect(await store().getDocument('t1', 'keep', 'c1')).toBeDefined();
        expect(await store().getDocument('t2', 'clear', 'c1')).toBeDefined();
        await store().putDocument('t1', 'keep', doc('c2'));
        expect(await store().deleteDocuments('t1', 'keep', ['c1', 'missing'])).toBe(1);
        expect(await store().deleteDocuments('t1', 'keep', [])).toBe(0);
        expect(await store().getDocument('t1', 'keep', 'c2')).toBeDefined();
        expect(await store().getDocument('t2', 'clear', 'c1')).toBeDefined();
      });
    });

    describe('userDocuments (privacy)', () => {
      const owned = (owner: string) => ({ fields: { text: 'x', userId: owner }, owner });
      beforeAll(async () => {
        await store().putDocument('p1', 'notes', doc('n1', owned('alice')));
        await store().putDocument('p1', 'notes', doc('n2', owned('bob')));
        await store().putDocument('p1', 'notes', doc('n3', owned('a"l\'ice$.%')));
        // A shared collection's documents may carry a userId field: without the owner column it is not ownership.
        await store().putDocument('p1', 'shared', doc('s1', { fields: { text: 'x', userId: 'alice' } }));
        await store().putDocument('p1', 'shared', doc('s2', { writer: 'alice' }));
        await store().putDocument('p1', 'shared', doc('s3', { writer: 'bob' }));
        await store().putDocument('p1', 'shared', doc('s4', { writer: 'alice', fields: null, deleted: true }));
        await store().putDocument('p2', 'notes', doc('n1', owned('alice')));
        await store().putDocument('p2', 'shared', doc('s2', { writer: 'alice' }));
      });
      const ids = async (tenantId: string, userId: string) =>
        (await store().userDocuments(tenantId, userId)).map((d) => `${d.collection}/${d.document.id}`);

      it('finds what the user owns and what they wrote, in this tenant only, each once', async () => {
        expect(await ids('p1', 'alice')).toEqual(['notes/n1', 'shared/s2', 'shared/s4']);
        expect(await ids('p1', 'bob')).toEqual(['notes/n2', 'shared/s3']);
        expect(await ids('p2', 'alice')).toEqual(['notes/n1', 'shared/s2']);
        await store().putDocument('p1', 'notes', doc('n4', { ...owned('carol'), writer: 'carol' }));
        expect(await ids('p1', 'carol')).toEqual(['notes/n4']);
        expect((await store().getDocument('p1', 'notes', 'n4'))?.owner).toBe('carol');
      });

      it('matches the user exactly (quotes and pattern characters are values)', async () => {
        expect(await ids('p1', 'a"l\'ice$.%')).toEqual(['notes/n3']);
        expect(await ids('p1', 'ali')).toEqual([]);
        expect(await ids('p1', '%')).toEqual([]);
        expect(await ids('p1', 'nobody')).toEqual([]);
      });
    });
  });
}
