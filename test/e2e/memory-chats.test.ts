/**
 * Chats and messages through HTTP (issue 10, item 1): writes accepted by the log and applied by
 * the `memory` consumer; members see only their own chats (another user's chat is a 404, naming
 * another user a 403), admins any user's of their tenant, other tenants nothing; hostile bodies,
 * cursors and ids are refused; a deleted chat is gone from every route and from the index.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../src/identity/keys.service.js';
import { eventually, type TestApp } from '../helpers/app.js';
import { memoryCaughtUp, STORES, startMemoryApp } from '../helpers/memory-app.js';

let t: TestApp;
let app: Awaited<ReturnType<typeof startMemoryApp>> | undefined;
let alice: string;
let bob: string;
let otherAdmin: string;
let tenantId: string;

const caughtUp = () => memoryCaughtUp(t);

async function newChat(body: object, key = t.adminKey): Promise<string> {
  const res = await t.call('POST', '/v1/memory/chats', body, key);
  expect(res.statusCode, res.body).toBe(201);
  return res.json().id as string;
}

async function say(chatId: string, content: string, key = t.adminKey, role = 'user'): Promise<string> {
  const res = await t.call('POST', `/v1/memory/chats/${chatId}/messages`, { role, content }, key);
  expect(res.statusCode, res.body).toBe(201);
  return res.json().id as string;
}

const messages = async (chatId: string, key = t.adminKey, query = '') => t.call('GET', `/v1/memory/chats/${chatId}/messages${query}`, undefined, key);

describe.each(STORES)('memory chats on %s', (kind) => {
  beforeAll(async () => {
    app = await startMemoryApp(kind);
    t = app.t;
    alice = await t.memberKey('alice');
    bob = await t.memberKey('bob');
    const store = t.app.backends.store;
    tenantId = (await store.tenants.bySlug('demo'))!.id;
    const { tenant: other } = await store.tenants.ensure('other-memory');
    otherAdmin = (await createApiKey(store, { tenantId: other.id, role: 'admin' })).key;
  });

  afterAll(async () => { await app?.close(); });

  describe('chats and messages', () => {
    it('creates a chat with its first message, adds messages right away, lists and renames', async () => {
      const created = await t.call('POST', '/v1/memory/chats', { userId: 'alice', title: 'Trip planning', initialMessage: { role: 'user', content: 'Plan a trip to Lisbon' } });
      expect(created.statusCode, created.body).toBe(201);
      const { id, initialMessageId, userId } = created.json();
      expect(userId).toBe('alice');
      expect(initialMessageId).toEqual(expect.any(String));
      // Before the consumer applied the chat, it is found (by its accepted event) and takes messages.
      const reply = await say(id, 'Lisbon in May: mild and sunny', alice, 'assistant');
      await caughtUp();
      const chat = await t.call('GET', `/v1/memory/chats/${id}`, undefined, alice);
      expect(chat.statusCode).toBe(200);
      expect(chat.json()).toMatchObject({ id, userId: 'alice', title: 'Trip planning' });
      const list = await messages(id, alice);
      expect(list.json().items.map((m: { id: string; role: string; content: string }) => [m.id, m.role, m.content])).toEqual([
        [initialMessageId, 'user', 'Plan a trip to Lisbon'], [reply, 'assistant', 'Lisbon in May: mild and sunny'],
      ]);
      expect((await t.call('PATCH', `/v1/memory/chats/${id}`, { title: 'Lisbon' }, alice)).statusCode).toBe(202);
      await eventually(async () => (await t.call('GET', `/v1/memory/chats/${id}`, undefined, alice)).json().title === 'Lisbon');
    });

    it('pages chats newest first and messages oldest first by cursor', async () => {
      const ids = [];
      for (const title of ['first', 'second', 'third']) ids.push(await newChat({ userId: 'pager', title }));
      for (const n of [1, 2, 3]) await say(ids[0]!, `message ${n}`);
      await caughtUp();
      const first = (await t.call('GET', '/v1/memory/chats?userId=pager&limit=2')).json();
      expect(first.items.map((c: { title: string }) => c.title)).toEqual(['third', 'second']);
      const second = (await t.call('GET', `/v1/memory/chats?userId=pager&limit=2&cursor=${first.nextCursor}`)).json();
      expect(second).toMatchObject({ items: [{ title: 'first' }], nextCursor: null });
      const page = (await messages(ids[0]!, t.adminKey, '?limit=2')).json();
      expect(page.items.map((m: { content: string }) => m.content)).toEqual(['message 1', 'message 2']);
      const rest = (await messages(ids[0]!, t.adminKey, `?limit=2&cursor=${page.nextCursor}`)).json();
      expect(rest).toMatchObject({ items: [{ content: 'message 3' }], nextCursor: null });
    });
  });

  describe('isolation', () => {
    let aliceChat: string;
    beforeAll(async () => {
      aliceChat = await newChat({ title: 'private', initialMessage: { role: 'user', content: 'my private diary entry' } }, alice);
      await caughtUp();
    });

    it('a member reaches another user\'s chat on no route: 404 for the chat, 403 for naming the user', async () => {
      for (const [method, url, body] of [
        ['GET', `/v1/memory/chats/${aliceChat}`], ['GET', `/v1/memory/chats/${aliceChat}/messages`],
        ['POST', `/v1/memory/chats/${aliceChat}/messages`, { role: 'user', content: 'injected' }],
        ['PATCH', `/v1/memory/chats/${aliceChat}`, { title: 'hijacked' }], ['DELETE', `/v1/memory/chats/${aliceChat}`],
      ] as const) {
        const res = await t.call(method, url, body, bob);
        expect(res.statusCode, `${method} ${url}`).toBe(404);
        expect(res.json().code).toBe('NOT_FOUND');
      }
      for (const [method, url, body] of [
        ['GET', '/v1/memory/chats?userId=alice'], ['POST', '/v1/memory/chats', { userId: 'alice', title: 'x' }],
        ['POST', '/v1/memory/search', { userId: 'alice', query: 'diary' }],
      ] as const) {
        const res = await t.call(method, url, body, bob);
        expect(res.statusCode, `${method} ${url}`).toBe(403);
        expect(res.json().code).toBe('AUTH_FORBIDDEN_USER');
      }
      expect((await t.call('GET', '/v1/memory/chats', undefined, bob)).json().items).toEqual([]);
      expect((await t.call('GET', '/v1/memory/chats', undefined, alice)).json().items.map((c: { id: string }) => c.id)).toContain(aliceChat);
    });

    it('a member\'s event naming another user\'s chat changes nothing', async () => {
      const sent = await t.call('POST', '/v1/events', { type: 'message.created', userId: 'bob', data: { chatId: aliceChat, role: 'user', content: 'sneaked in' } }, bob);
      expect(sent.statusCode, sent.body).toBe(202);
      const rename = await t.call('POST', '/v1/events', { type: 'chat.updated', data: { chatId: aliceChat, title: 'pwned' } }, bob);
      expect(rename.statusCode, rename.body).toBe(202);
      await caughtUp();
      expect((await messages(aliceChat, alice)).json().items.map((m: { content: string }) => m.content)).toEqual(['my private diary entry']);
      expect((await t.call('GET', `/v1/memory/chats/${aliceChat}`, undefined, alice)).json().title).toBe('private');
    });

    it('another tenant sees nothing; ingest keys are refused', async () => {
      expect((await t.call('GET', `/v1/memory/chats/${aliceChat}`, undefined, otherAdmin)).statusCode).toBe(404);
      expect((await t.call('POST', `/v1/memory/chats/${aliceChat}/messages`, { role: 'user', content: 'x' }, otherAdmin)).statusCode).toBe(404);
      expect((await t.call('GET', '/v1/memory/chats?userId=alice', undefined, otherAdmin)).json().items).toEqual([]);
      expect((await t.call('POST', '/v1/memory/search', { userId: 'alice', query: 'diary' }, otherAdmin)).json().items).toEqual([]);
      expect((await t.call('GET', '/v1/memory/chats?userId=alice', undefined, t.ingestKey)).statusCode).toBe(403);
      expect((await t.call('POST', '/v1/memory/chats', { userId: 'alice' }, t.ingestKey)).statusCode).toBe(403);
    });

    it('an admin reads any user\'s chats of the tenant', async () => {
      expect((await t.call('GET', `/v1/memory/chats/${aliceChat}`)).json().userId).toBe('alice');
      expect((await t.call('GET', '/v1/memory/chats?userId=alice')).json().items.map((c: { id: string }) => c.id)).toContain(aliceChat);
    });
  });

  describe('hostile requests', () => {
    it('refuses oversize, unknown and malformed input with 400', async () => {
      const chat = await newChat({ userId: 'hostile' });
      const cases: Array<[string, string, unknown]> = [
        ['POST', `/v1/memory/chats/${chat}/messages`, { role: 'user', content: 'x'.repeat(32_001) }],
        ['POST', `/v1/memory/chats/${chat}/messages`, { role: 'root', content: 'x' }],
        ['POST', `/v1/memory/chats/${chat}/messages`, { role: 'user', content: '' }],
        ['POST', `/v1/memory/chats/${chat}/messages`, { role: 'user', content: 'x', extra: true }],
        ['POST', `/v1/memory/chats/${chat}/messages`, { role: 'user', content: 'x', metadata: { nested: { deep: 1 } } }],
        ['POST', `/v1/memory/chats/${chat}/messages`, { role: 'user', content: 'x', metadata: Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`k${i}`, i])) }],
        ['POST', '/v1/memory/chats', { title: 'no user for an admin' }],
        ['GET', '/v1/memory/chats', undefined],
        ['POST', '/v1/memory/chats', { userId: 'hostile', title: 't'.repeat(201) }],
        ['PATCH', `/v1/memory/chats/${chat}`, { title: 'x', userId: 'someone' }],
        ['GET', '/v1/memory/chats?userId=hostile&cursor=not-a-cursor', undefined],
        ['GET', '/v1/memory/chats?userId=hostile&limit=100000', undefined],
        ['GET', `/v1/memory/chats/${chat}/messages?cursor=${'f'.repeat(37)}`, undefined],
        ['GET', '/v1/memory/chats/not-an-id', undefined],
        ['POST', '/v1/memory/search', { userId: 'hostile', query: 'q'.repeat(1001) }],
        ['POST', '/v1/memory/search', { userId: 'hostile', query: 'q', limit: 51 }],
        ['POST', '/v1/memory/search', { userId: 'hostile', query: 'q', from: 'yesterday' }],
      ];
      for (const [method, url, body] of cases) {
        const res = await t.call(method as 'GET', url, body);
        expect(res.statusCode, `${method} ${url} ${JSON.stringify(body)?.slice(0, 80)}`).toBe(400);
        expect(res.headers['content-type']).toContain('application/problem+json');
      }
      // An id of the right shape that names no chat, or an event that is not a chat.
      const event = (await t.call('POST', '/v1/events', { type: 'page.viewed', userId: 'hostile' })).json().id;
      expect((await t.call('GET', `/v1/memory/chats/${event}`)).statusCode).toBe(404);
      expect((await t.call('POST', `/v1/memory/chats/${event}/messages`, { role: 'user', content: 'x' })).statusCode).toBe(404);
    });
  });

  describe('deletion', () => {
    it('a deleted chat is gone from every route, its messages from the index, and takes no more messages', async () => {
      const chat = await newChat({ userId: 'carol', title: 'doomed', initialMessage: { role: 'user', content: 'the zanzibar password is kumquat' } });
      await say(chat, 'remember the kumquat');
      const kept = await newChat({ userId: 'carol', title: 'kept', initialMessage: { role: 'user', content: 'kumquat jam recipe' } });
      await caughtUp();
      const recall = async () => (await t.call('POST', '/v1/memory/search', { userId: 'carol', query: 'kumquat' })).json().items.map((i: { chatId: string }) => i.chatId);
      expect((await recall()).sort()).toEqual([chat, chat, kept].sort());
      const removed = await t.call('DELETE', `/v1/memory/chats/${chat}`);
      expect(removed.statusCode, removed.body).toBe(202);
      await caughtUp();
      expect((await t.call('GET', `/v1/memory/chats/${chat}`)).statusCode).toBe(404);
      expect((await messages(chat)).statusCode).toBe(404);
      expect((await t.call('POST', `/v1/memory/chats/${chat}/messages`, { role: 'user', content: 'x' })).statusCode).toBe(404);
      expect((await t.call('DELETE', `/v1/memory/chats/${chat}`)).statusCode).toBe(404);
      expect((await t.call('GET', '/v1/memory/chats?userId=carol')).json().items.map((c: { id: string }) => c.id)).toEqual([kept]);
      expect(await recall()).toEqual([kept]);
      // Nothing of it is left in the index itself (searched as the tenant, not through memory).
      const hits = await t.app.backends.searchIndex.search({ tenantId, collection: 'chat-messages', query: 'kumquat zanzibar', mode: 'lexical', limit: 50 });
      expect(hits.filter((h) => h.metadata.chatId === chat)).toEqual([]);
      expect(hits.some((h) => h.metadata.chatId === kept)).toBe(true);
      // A message event for the deleted chat sent past the routes is skipped by the consumer.
      await t.call('POST', '/v1/events', { type: 'message.created', userId: 'carol', data: { chatId: chat, role: 'user', content: 'kumquat again' } });
      await caughtUp();
      expect(await recall()).toEqual([kept]);
    });
  });
  describe('privacy', () => {
    it('exports a user\'s chats and messages, and erases them from the tables and the index', async () => {
      const chat = await newChat({ userId: 'frank', title: 'frank\'s', initialMessage: { role: 'user', content: 'frank likes persimmons', metadata: { device: 'phone' } } });
      const kept = await newChat({ userId: 'gina', initialMessage: { role: 'user', content: 'gina likes persimmons too' } });
      await caughtUp();
      const exported = (await t.app.privacy.exportUser(tenantId, 'frank')).memory!;
      expect(exported).toMatchObject({ chats: [{ id: chat, title: 'frank\'s' }], messages: [{ chatId: chat, content: 'frank likes persimmons', metadata: { device: 'phone' } }] });
      await t.app.privacy.eraseUser(tenantId, 'frank');
      expect((await t.call('GET', `/v1/memory/chats/${chat}`)).statusCode).toBe(404);
      expect((await t.call('POST', '/v1/memory/search', { userId: 'frank', query: 'persimmons' })).json().items).toEqual([]);
      const hits = await t.app.backends.searchIndex.search({ tenantId, collection: 'chat-messages', query: 'persimmons', mode: 'lexical', limit: 50 });
      expect(hits.map((h) => h.metadata.chatId)).toEqual([kept]);
      expect((await t.app.privacy.exportUser(tenantId, 'frank')).memory).toEqual({ chats: [], messages: [] });
    });
  });
});
