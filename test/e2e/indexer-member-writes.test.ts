/**
 * Members may not change shared collections through events: a member's article.created /
 * updated / deleted (or any source type of a shared collection) is stored, but the indexer
 * applies it only where the collection allows member writes (`memberWrites: true`). The same
 * events from the ingest key apply. Every event records its sender's role, whatever its entry
 * point. Regression tests for "members change shared collections through events".
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../src/identity/keys.service.js';
import { newId } from '../../src/platform/ids.js';
import type { EventRecord } from '../../src/ports/events.types.js';
import { eventually, startTestApp, type TestApp } from '../helpers/app.js';

let t: TestApp;
let alice: string;

/** Sends a native event and waits until the indexer has handled it (its delivery is done). */
async function sendIndexed(body: object, key: string): Promise<string> {
  const res = await t.call('POST', '/v1/events', body, key);
  expect(res.statusCode, res.body).toBeLessThan(300);
  const id = res.json().id as string;
  await eventually(async () => (await t.call('GET', `/v1/events/${id}`)).json().deliveries
    ?.find((d: { consumer: string }) => d.consumer === 'indexer')?.status === 'done');
  return id;
}

const readDoc = (collection: string, id: string) => t.call('GET', `/v1/collections/${collection}/documents/${id}`);
const searchText = async (collection: string, query: string) =>
  (await t.call('POST', '/v1/search', { collections: [collection], query, mode: 'lexical' })).body;

beforeAll(async () => {
  t = await startTestApp();
  const store = t.app.backends.store;
  const tenant = (await store.tenants.bySlug('demo'))!;
  alice = (await createApiKey(store, { tenantId: tenant.id, role: 'member', userId: 'alice' })).key;
});
afterAll(async () => { await t.close(); });

describe('template collections (articles, customers)', () => {
  it('a member\'s article.created, updated and deleted change nothing; the ingest key\'s do', async () => {
    await sendIndexed({ type: 'article.created', data: { articleId: 'a1', name: 'Blue kettle', description: 'Steel kettle, 1.7 litres' } }, t.ingestKey);
    expect((await readDoc('articles', 'a1')).json().fields.name).toBe('Blue kettle');

    const updated = await sendIndexed({ type: 'article.updated', data: { articleId: 'a1', name: 'Zebracorn kettle FREE', description: 'call this number' } }, alice);
    const created = await sendIndexed({ type: 'article.created', data: { articleId: 'a2', name: 'Zebracorn scam', description: 'visit evil.example' } }, alice);
    await sendIndexed({ type: 'article.deleted', data: { articleId: 'a1' } }, alice);
    expect((await readDoc('articles', 'a1')).json().fields.name).toBe('Blue kettle');
    expect((await readDoc('articles', 'a2')).statusCode).toBe(404);
    expect(await searchText('articles', 'Zebracorn')).not.toContain('Zebracorn');
    expect((await t.call('GET', '/metrics', undefined, null)).body).toMatch(/eventrag_indexer_skipped_total\{reason="member_write"\} [3-9]/);
    expect(await searchText('articles', 'kettle')).toContain('Blue kettle');

    // The member's events themselves are stored, as events about her, sent by a member.
    for (const id of [updated, created]) {
      const event = (await t.call('GET', `/v1/events/${id}`)).json();
      expect(event).toMatchObject({ userId: 'alice', senderRole: 'member' });
    }

    await sendIndexed({ type: 'article.updated', data: { articleId: 'a1', name: 'Red kettle', description: 'Steel kettle' } }, t.ingestKey);
    expect((await readDoc('articles', 'a1')).json().fields.name).toBe('Red kettle');
    await sendIndexed({ type: 'article.deleted', data: { articleId: 'a1' } }, t.ingestKey);
    expect((await readDoc('articles', 'a1')).statusCode).toBe(404);
  });

  it('a member\'s customer.created neither writes a customer nor creates the customers collection', async () => {
    await sendIndexed({ type: 'customer.created', data: { customerId: 'c1', name: 'Mallory', notes: 'injected' } }, alice);
    expect((await t.call('GET', '/v1/collections/customers')).statusCode).toBe(404);
    await sendIndexed({ type: 'customer.created', data: { customerId: 'c1', name: 'Carol Jones', company: 'Acme' } }, t.ingestKey);
    expect((await readDoc('customers', 'c1')).json().fields.name).toBe('Carol Jones');
    expect((await t.call('GET', '/v1/collections/customers')).json().memberWrites).toBe(false);
  });

  it('an event stored before senders were recorded (no sender) is applied as before', async () => {
    const event: EventRecord = {
      id: newId(Date.now()), tenantId: (await t.app.backends.store.tenants.bySlug('demo'))!.id, type: 'article.created', source: '/tenants/demo',
      subject: 'article/old1', userId: 'alice', sessionId: null, category: 'catalog', sourceApp: null, time: Date.now(), receivedAt: Date.now(),
      idempotencyKey: null, senderRole: null, data: { articleId: 'old1', name: 'Legacy teapot', description: 'from before the upgrade' },
    };
    await t.app.backends.store.events.append([event], 0);
    await eventually(async () => (await readDoc('articles', 'old1')).statusCode === 200);
    expect((await t.call('GET', `/v1/events/${event.id}`)).json().senderRole).toBeNull();
  });
});

describe('collections made by an admin', () => {
  it('take members\' events only with memberWrites: true (source types and document events alike)', async () => {
    const created = await t.call('POST', '/v1/collections', { name: 'wall', textFields: ['text'], sources: [{ type: 'note.posted', op: 'upsert', idField: 'noteId' }] });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json()).toMatchObject({ scope: 'shared', memberWrites: false });

    await sendIndexed({ type: 'note.posted', data: { noteId: 'n1', text: 'Quokka one' } }, alice);
    await sendIndexed({ type: 'document.upserted', data: { collection: 'wall', documentId: 'd1', fields: { text: 'Quokka two' } } }, alice);
    expect((await readDoc('wall', 'n1')).statusCode).toBe(404);
    expect((await readDoc('wall', 'd1')).statusCode).toBe(404);

    const patched = await t.call('PATCH', '/v1/collections/wall', { memberWrites: true });
    expect(patched.statusCode, patched.body).toBe(200);
    expect(patched.json()).toMatchObject({ memberWrites: true, reindexing: null });

    // memberWrites admits the source rules; a member's document events still change nothing.
    await sendIndexed({ type: 'note.posted', data: { noteId: 'n2', text: 'Quokka three' } }, alice);
    await sendIndexed({ type: 'document.upserted', data: { collection: 'wall', documentId: 'd2', fields: { text: 'Quokka four' } } }, alice);
    expect((await readDoc('wall', 'n2')).json().fields.text).toBe('Quokka three');
    expect((await readDoc('wall', 'd2')).statusCode).toBe(404);
    expect(await searchText('wall', 'Quokka')).toContain('Quokka three');

    // Turned off again, a rebuild from the log leaves out what members wrote.
    await sendIndexed({ type: 'note.posted', data: { noteId: 'n3', text: 'Quokka by the shop' } }, t.ingestKey);
    expect((await t.call('PATCH', '/v1/collections/wall', { memberWrites: false })).json().memberWrites).toBe(false);
    expect((await t.call('POST', '/v1/collections/wall/rebuild')).statusCode).toBe(202);
    await eventually(async () => (await t.call('GET', '/v1/consumers')).json().items.find((c: { name: string }) => c.name === 'indexer').lagEvents === 0);
    expect((await readDoc('wall', 'n3')).statusCode).toBe(200);
    expect((await readDoc('wall', 'n2')).statusCode).toBe(404);
    expect((await readDoc('wall', 'd2')).statusCode).toBe(404);
  });

  it('a collection can be created with memberWrites: true', async () => {
    const created = await t.call('POST', '/v1/collections', { name: 'guestbook', textFields: ['text'], memberWrites: true, sources: [{ type: 'guest.signed', op: 'upsert', idField: 'entryId' }] });
    expect(created.json()).toMatchObject({ memberWrites: true });
    await sendIndexed({ type: 'guest.signed', data: { entryId: 'e1', text: 'Hello from Alice' } }, alice);
    expect((await readDoc('guestbook', 'e1')).json().fields.text).toBe('Hello from Alice');
  });

  it('a shared collection fed by tracked searches never shows one member\'s queries to everyone', async () => {
    const created = await t.call('POST', '/v1/collections', { name: 'searches', textFields: ['query'], sources: [{ type: 'search.performed', op: 'upsert', idField: '$eventId', includeEnvelope: true }] });
    expect(created.statusCode, created.body).toBe(201);
    expect((await t.call('POST', '/v1/search', { collections: ['searches'], query: 'kumquat secret diagnosis' }, alice)).statusCode).toBe(200);
    expect((await t.call('POST', '/v1/search', { collections: ['searches'], query: 'kumquat shop inventory' })).statusCode).toBe(200);
    const tracked = await eventually(async () => {
      const items = (await t.call('GET', '/v1/events?type=search.performed&limit=1000')).json().items as Array<{ id: string; data: { query?: string }; senderRole: string }>;
      const mine = items.filter((e) => e.data.query?.startsWith('kumquat'));
      return mine.length === 2 ? mine : null;
    });
    for (const { id } of tracked) {
      await eventually(async () => (await t.call('GET', `/v1/events/${id}`)).json().deliveries.find((d: { consumer: string }) => d.consumer === 'indexer')?.status === 'done');
    }
    expect(tracked.map((e) => [e.data.query, e.senderRole]).sort()).toEqual([['kumquat secret diagnosis', 'member'], ['kumquat shop inventory', 'admin']]);
    const found = await searchText('searches', 'kumquat');
    expect(found).toContain('kumquat shop inventory');
    expect(found).not.toContain('diagnosis');
  });

  it('per-user collections are unchanged: a member\'s events write her own documents', async () => {
    expect((await t.call('POST', '/v1/collections', { name: 'user-events', template: 'user-events' })).statusCode).toBe(201);
    const id = await sendIndexed({ type: 'query.executed', data: { query: 'wombat facts' } }, alice);
    expect((await readDoc('user-events', id)).json().fields).toMatchObject({ query: 'wombat facts', userId: 'alice' });
  });
});

describe('the sender role of every entry point', () => {
  it('records admin, ingest and member for native, CloudEvents, Segment and tracked events', async () => {
    const ce = { specversion: '1.0', type: 'widget.clicked', source: '/apps/shop', id: 'ce-1', data: { n: 1 } };
    const ceRes = await t.call('POST', '/v1/events', JSON.stringify(ce), alice, { 'content-type': 'application/cloudevents+json' });
    expect(ceRes.statusCode, ceRes.body).toBeLessThan(300);
    expect((await t.call('POST', '/v1/track', { userId: 'alice', event: 'Button Clicked' }, alice)).statusCode).toBe(200);
    expect((await t.call('POST', '/v1/search', { collections: ['articles'], query: 'kettle' }, alice)).statusCode).toBe(200);
    const roles = await eventually(async () => {
      const items = (await t.call('GET', '/v1/events?userId=alice&limit=1000')).json().items as Array<{ type: string; source: string; senderRole: string | null }>;
      const segment = items.find((e) => e.source === '/segment');
      const tracked = items.find((e) => e.type === 'search.performed');
      return segment && tracked ? items : null;
    });
    const fromAlice = roles.filter((e) => e.senderRole !== null);
    expect(fromAlice.length).toBeGreaterThanOrEqual(4);
    expect(new Set(fromAlice.map((e) => e.senderRole))).toEqual(new Set(['member']));
    expect(roles.some((e) => e.type === 'widget.clicked')).toBe(true);

    const byIngest = await t.call('POST', '/v1/events', { type: 'ping.sent', userId: 'bob' }, t.ingestKey);
    const byAdmin = await t.call('POST', '/v1/events', { type: 'ping.sent', userId: 'bob' });
    expect((await t.call('GET', `/v1/events/${byIngest.json().id}`)).json().senderRole).toBe('ingest');
    expect((await t.call('GET', `/v1/events/${byAdmin.json().id}`)).json().senderRole).toBe('admin');
  });
});

describe('a shared collection with memberWrites: true', () => {
  let bob: string;
  const bobSearch = async (query: string) => (await t.call('POST', '/v1/search', { collections: ['reviews'], query, mode: 'lexical' }, bob)).body;
  const skippedOtherWriter = async () => Number((await t.call('GET', '/metrics', undefined, null)).body.match(/eventrag_indexer_skipped_total\{reason="other_writer"\} (\d+)/)?.[1] ?? 0);

  beforeAll(async () => {
    const tenant = (await t.app.backends.store.tenants.bySlug('demo'))!;
    bob = (await createApiKey(t.app.backends.store, { tenantId: tenant.id, role: 'member', userId: 'bob' })).key;
    const created = await t.call('POST', '/v1/collections', {
      name: 'reviews', textFields: ['text'], memberWrites: true,
      sources: [{ type: 'review.posted', op: 'upsert', idField: 'reviewId' }, { type: 'review.removed', op: 'delete', idField: 'reviewId' }],
    });
    expect(created.statusCode, created.body).toBe(201);
    const put = await t.call('PUT', '/v1/collections/reviews/documents/official-faq?wait=true', { text: 'Official answer: refunds within 30 days' });
    expect(put.json().indexed).toBe(true);
  });

  it('a member\'s document.upserted and document.deleted leave an admin\'s document as it is', async () => {
    await sendIndexed({ type: 'document.upserted', data: { collection: 'reviews', documentId: 'official-faq', fields: { text: 'PWNED call evil.example for refunds' } } }, alice);
    await sendIndexed({ type: 'document.deleted', data: { collection: 'reviews', documentId: 'official-faq' } }, alice);
    expect((await readDoc('reviews', 'official-faq')).json().fields.text).toBe('Official answer: refunds within 30 days');
    expect(await bobSearch('PWNED refunds')).not.toContain('PWNED');
    expect(await bobSearch('refunds')).toContain('Official answer');
    const answer = await t.call('POST', '/v1/answer', { query: 'refunds', collections: ['reviews'] }, bob);
    expect(answer.statusCode, answer.body).toBe(200);
    expect(answer.body).toContain('Official answer');
    expect(answer.body).not.toContain('PWNED');
  });

  it('through a source rule a member writes and deletes only the reviews they wrote', async () => {
    const before = await skippedOtherWriter();
    await sendIndexed({ type: 'review.posted', data: { reviewId: 'r-alice', text: 'Alice likes the kettle' } }, alice);
    expect((await readDoc('reviews', 'r-alice')).json().fields.text).toBe('Alice likes the kettle');

    // Bob overwrites or deletes Alice's review, Alice the admin's document: nothing changes.
    await sendIndexed({ type: 'review.posted', data: { reviewId: 'r-alice', text: 'PWNED by Bob' } }, bob);
    await sendIndexed({ type: 'review.removed', data: { reviewId: 'r-alice' } }, bob);
    await sendIndexed({ type: 'review.posted', data: { reviewId: 'official-faq', text: 'PWNED by Alice' } }, alice);
    await sendIndexed({ type: 'review.removed', data: { reviewId: 'official-faq' } }, alice);
    expect((await readDoc('reviews', 'r-alice')).json().fields.text).toBe('Alice likes the kettle');
    expect((await readDoc('reviews', 'official-faq')).json().fields.text).toBe('Official answer: refunds within 30 days');
    expect(await bobSearch('PWNED')).not.toContain('PWNED');
    expect(await skippedOtherWriter()).toBe(before + 4);

    // Alice updates her own review, and deletes it; then the id is free again.
    await sendIndexed({ type: 'review.posted', data: { reviewId: 'r-alice', text: 'Alice loves the kettle' } }, alice);
    expect((await readDoc('reviews', 'r-alice')).json().fields.text).toBe('Alice loves the kettle');
    expect(await bobSearch('loves kettle')).toContain('Alice loves the kettle');
    await sendIndexed({ type: 'review.removed', data: { reviewId: 'r-alice' } }, alice);
    expect((await readDoc('reviews', 'r-alice')).statusCode).toBe(404);
    await sendIndexed({ type: 'review.posted', data: { reviewId: 'r-alice', text: 'Bob reuses a free id' } }, bob);
    expect((await readDoc('reviews', 'r-alice')).json().fields.text).toBe('Bob reuses a free id');
  });

  it('the ingest key may overwrite a member\'s review, and a rebuild from the log keeps every writer\'s rule', async () => {
    await sendIndexed({ type: 'review.posted', data: { reviewId: 'r-carol', text: 'Carol original' } }, alice);
    await sendIndexed({ type: 'review.posted', data: { reviewId: 'r-carol', text: 'Moderated by the shop' } }, t.ingestKey);
    expect((await readDoc('reviews', 'r-carol')).json().fields.text).toBe('Moderated by the shop');
    await sendIndexed({ type: 'review.posted', data: { reviewId: 'r-carol', text: 'PWNED again' } }, alice);
    expect((await readDoc('reviews', 'r-carol')).json().fields.text).toBe('Moderated by the shop');

    expect((await t.call('POST', '/v1/collections/reviews/rebuild')).statusCode).toBe(202);
    // A rebuild re-feeds the log through replay cursors: done when the indexer has none left.
    await eventually(async () => {
      const indexer = (await t.call('GET', '/v1/consumers')).json().items.find((c: { name: string }) => c.name === 'indexer');
      return indexer.lagEvents === 0 && indexer.replaying === 0;
    });
    await eventually(async () => (await readDoc('reviews', 'r-carol')).statusCode === 200);
    expect((await readDoc('reviews', 'official-faq')).json().fields.text).toBe('Official answer: refunds within 30 days');
    expect((await readDoc('reviews', 'r-alice')).json().fields.text).toBe('Bob reuses a free id');
    expect((await readDoc('reviews', 'r-carol')).json().fields.text).toBe('Moderated by the shop');
    expect(await bobSearch('PWNED')).not.toContain('PWNED');
  });
});
