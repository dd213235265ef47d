/**
 * The member's view through HTTP: in a per-user collection (user-events, chat-messages) a member
 * finds, reads and gets answers from only their own documents, whatever filter they send;
 * shared collections are read by every member; admins read everything.
 * Regression tests for "member search reads other users' data".
 */
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestApp, type TestApp } from '../helpers/app.js';

const ALICE = `alicesecret${Date.now()}`;
let t: TestApp;
let alice: string;
let bob: string;
let aliceDoc: string;
let bobDoc: string;

const search = (key: string, body: object) => t.call('POST', '/v1/search', { collections: ['user-events'], ...body }, key);
const texts = (res: { json(): { items: Array<{ text: string; documentId: string }> } }) => res.json().items.map((i) => i.text).join('\n');

beforeAll(async () => {
  t = await startTestApp();
  alice = await t.memberKey('alice');
  bob = await t.memberKey('bob');
  for (const [name, template] of [['user-events', 'user-events'], ['chat-messages', 'chat-messages'], ['kb', 'policies']]) {
    expect((await t.call('POST', '/v1/collections', { name, template })).statusCode).toBe(201);
  }
  await t.call('PUT', '/v1/collections/kb/documents/travel?wait=true', { title: 'Travel policy', body: 'Vacation plans need approval; book trains for trips under 600 km.' });
  aliceDoc = (await t.call('POST', '/v1/events', { type: 'query.executed', data: { query: `${ALICE} vacation plans for Lisbon` } }, alice)).json().id;
  bobDoc = (await t.call('POST', '/v1/events', { type: 'query.executed', data: { query: 'vacation plans for Oslo' } }, bob)).json().id;
  await eventually(async () => (await search(t.adminKey, { query: 'vacation plans', mode: 'dense' })).json().items.length === 2);
});
afterAll(async () => { await t.close(); });

describe('search and answers in a per-user collection', () => {
  it('a member finds only their own documents, in every mode; an admin finds every user\'s', async () => {
    for (const mode of ['lexical', 'dense', 'hybrid']) {
      const res = await search(bob, { query: `${ALICE} Oslo Lisbon`, mode });
      expect(res.statusCode, mode).toBe(200);
      expect(res.json().items.map((i: { documentId: string }) => i.documentId), mode).toEqual([bobDoc]);
      expect(res.body, mode).not.toContain(ALICE);
      expect(res.json().items[0].metadata.userId).toBe('bob');
    }
    const admin = await search(t.adminKey, { query: `${ALICE} Oslo Lisbon` });
    expect(admin.json().items.map((i: { documentId: string }) => i.documentId).sort()).toEqual([aliceDoc, bobDoc].sort());
    expect(texts(await search(alice, { query: 'vacation plans' }))).toContain(ALICE);
  });

  it('no filter a member sends widens the view', async () => {
    const escapes = [
      { eq: { userId: 'alice' } },
      { in: { userId: ['alice', 'bob'] } },
      { or: [{ eq: { userId: 'alice' } }, { not: { eq: { userId: 'alice' } } }] },
      { not: { eq: { userId: 'bob' } } },
      { or: [{ exists: 'userId' }, { not: { exists: 'userId' } }] },
    ];
    for (const filter of escapes) {
      const res = await search(bob, { query: `${ALICE} Oslo Lisbon`, filter });
      expect(res.statusCode, JSON.stringify(filter)).toBe(200);
      expect(res.body, JSON.stringify(filter)).not.toContain(ALICE);
      expect(res.json().items.every((i: { metadata: { userId: string } }) => i.metadata.userId === 'bob')).toBe(true);
    }
  });

  it('a cached search of one viewer is never served to another', async () => {
    const body = { query: `${ALICE} Lisbon`, mode: 'lexical' };
    expect(texts(await search(t.adminKey, body))).toContain(ALICE);
    expect((await search(t.adminKey, body)).json().cached).toBe(true);
    const bobs = await search(bob, body);
    expect(bobs.json().cached).toBe(false);
    expect(bobs.body).not.toContain(ALICE);
  });

  it('answers a member only from their own documents and the shared ones', async () => {
    const res = await t.call('POST', '/v1/answer', { query: `${ALICE} vacation plans`, collections: ['user-events', 'kb'] }, bob);
    expect(res.statusCode).toBe(200);
    expect(res.body).not.toContain(ALICE);
    expect(res.json().sources.map((s: { documentId: string }) => s.documentId).sort()).toEqual([bobDoc, 'travel'].sort());
  });

  it('streams an answer to a member without another user\'s text, over a real socket', async () => {
    await t.app.http!.listen({ host: '127.0.0.1', port: 0 });
    const { port } = t.app.http!.server.address() as AddressInfo;
    const payload = JSON.stringify({ query: `${ALICE} vacation plans`, collections: ['user-events'], stream: true });
    const body = await new Promise<string>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, path: '/v1/answer', method: 'POST', headers: { authorization: `Bearer ${bob}`, 'content-type': 'application/json' } }, (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (chunk: string) => { text += chunk; }).on('end', () => resolve(text)).on('error', reject);
      });
      req.on('error', reject).end(payload);
    });
    expect(body).toContain('event: sources');
    expect(body).toContain('event: done');
    expect(body).toContain(bobDoc);
    expect(body).not.toContain(ALICE);
    // A search that fails answers problem+json before streaming starts.
    const missing = await t.call('POST', '/v1/answer', { query: 'x', collections: ['nope'], stream: true }, bob);
    expect(missing.statusCode).toBe(404);
    expect(missing.headers['content-type']).toContain('application/problem+json');
  });
});

describe('document reads and stats', () => {
  it('a member reads their own documents, shared ones, and not another user\'s (404)', async () => {
    const theirs = await t.call('GET', `/v1/collections/user-events/documents/${aliceDoc}`, undefined, bob);
    expect(theirs.statusCode).toBe(404);
    expect(theirs.body).not.toContain(ALICE);
    expect((await t.call('GET', `/v1/collections/user-events/documents/${bobDoc}`, undefined, bob)).json().fields.userId).toBe('bob');
    expect((await t.call('GET', `/v1/collections/user-events/documents/${aliceDoc}`, undefined, alice)).body).toContain(ALICE);
    expect((await t.call('GET', `/v1/collections/user-events/documents/${aliceDoc}`)).body).toContain(ALICE);
    expect((await t.call('GET', '/v1/collections/kb/documents/travel', undefined, bob)).statusCode).toBe(200);
  });

  it('shows members the settings of a per-user collection but not its counts over every user', async () => {
    const asBob = (await t.call('GET', '/v1/collections/user-events', undefined, bob)).json();
    expect(asBob).toMatchObject({ name: 'user-events', scope: 'user' });
    expect(asBob.stats).toBeUndefined();
    expect((await t.call('GET', '/v1/collections/user-events')).json().stats.documents).toBe(2);
    expect((await t.call('GET', '/v1/collections/kb', undefined, bob)).json()).toMatchObject({ scope: 'shared', stats: { documents: 1 } });
  });

  it('ingest keys read nothing', async () => {
    expect((await search(t.ingestKey, { query: 'vacation' })).json().code).toBe('AUTH_FORBIDDEN_ROLE');
    expect((await t.call('GET', `/v1/collections/user-events/documents/${aliceDoc}`, undefined, t.ingestKey)).statusCode).toBe(403);
  });
});

describe('ownership cannot be forged', () => {
  it('the owner is the event\'s user, not a userId in its data', async () => {
    await t.call('POST', '/v1/events', { type: 'message.sent', data: { channel: 'chat', messageId: 'm-alice', userId: 'alice', text: `${ALICE} my door code is 4711` } }, alice);
    await t.call('POST', '/v1/events', { type: 'message.sent', data: { channel: 'chat', messageId: 'm-forged', userId: 'alice', text: 'forged hello' } }, bob);
    const chats = (key: string) => t.call('POST', '/v1/search', { query: 'door code hello', collections: ['chat-messages'], mode: 'dense' }, key);
    await eventually(async () => (await chats(t.adminKey)).json().items.length === 2);
    const asAlice = await chats(alice);
    expect(asAlice.json().items.map((i: { documentId: string }) => i.documentId)).toEqual(['m-alice']);
    expect((await chats(bob)).json().items.map((i: { documentId: string; metadata: { userId: string } }) => [i.documentId, i.metadata.userId])).toEqual([['m-forged', 'bob']]);
  });

  it('a member cannot overwrite another user\'s document or write into a shared collection', async () => {
    const overwrite = await t.call('POST', '/v1/events', { type: 'message.sent', data: { channel: 'chat', messageId: 'm-alice', text: 'overwritten by bob' } }, bob);
    const poison = await t.call('POST', '/v1/events', { type: 'document.upserted', data: { collection: 'kb', documentId: 'travel', fields: { title: 'Travel policy', body: 'poisoned by bob' } } }, bob);
    for (const res of [overwrite, poison]) {
      expect(res.statusCode).toBe(202);
      await eventually(async () => (await t.call('GET', `/v1/events/${res.json().id}`)).json().deliveries.find((d: { consumer: string }) => d.consumer === 'indexer')?.status === 'done');
    }
    const mine = (await t.call('GET', '/v1/collections/chat-messages/documents/m-alice', undefined, alice)).json();
    expect(mine.fields).toMatchObject({ userId: 'alice', text: `${ALICE} my door code is 4711` });
    expect((await t.call('GET', '/v1/collections/kb/documents/travel')).json().fields.body).not.toContain('poisoned');
  });
});
