/**
 * Recall through HTTP (issue 10, item 2): a message is recallable within a second of being
 * written; recall is always of one user (the index query holds the user, for admins too); hits
 * are deduplicated per message, narrowed by chat and time, weighted by recency; a replay of the
 * `memory` consumer rebuilds the chat-messages collection with the same results.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../src/identity/keys.service.js';
import { recencyWeight } from '../../src/memory/recall.service.js';
import { eventually, type TestApp } from '../helpers/app.js';
import { memoryCaughtUp, STORES, startMemoryApp } from '../helpers/memory-app.js';

let t: TestApp;
let app: Awaited<ReturnType<typeof startMemoryApp>> | undefined;
let dora: string;
let eve: string;
const DAY = 86_400_000;

interface Hit { messageId: string; chatId: string; role: string; content: string; createdAt: string; score: number; highlight: string }

const caughtUp = () => memoryCaughtUp(t);

async function newChat(userId: string, key = t.adminKey): Promise<string> {
  const res = await t.call('POST', '/v1/memory/chats', { userId }, key);
  expect(res.statusCode, res.body).toBe(201);
  return res.json().id;
}

async function say(chatId: string, content: string, key = t.adminKey): Promise<string> {
  const res = await t.call('POST', `/v1/memory/chats/${chatId}/messages`, { role: 'user', content }, key);
  expect(res.statusCode, res.body).toBe(201);
  return res.json().id;
}

async function recall(body: Record<string, unknown>, key = t.adminKey): Promise<Hit[]> {
  const res = await t.call('POST', '/v1/memory/search', body, key);
  expect(res.statusCode, res.body).toBe(200);
  return res.json().items;
}

describe.each(STORES)('memory recall on %s', (kind) => {
  beforeAll(async () => {
    app = await startMemoryApp(kind);
    t = app.t;
    dora = await t.memberKey('dora');
    eve = await t.memberKey('eve');
  });

  afterAll(async () => { await app?.close(); });

  describe('recall', () => {
    it('finds a message within a second of its write, with chat, time, score and highlight', async () => {
      const chat = await newChat('dora', dora);
      // The tenant's first message creates its chat-messages collection: measured is the next one.
      await say(chat, 'warming up', dora);
      await caughtUp();
      const started = Date.now();
      const id = await say(chat, 'My favourite volcano is Eyjafjallajokull in Iceland', dora);
      const [hit] = await eventually(async () => {
        const items = await recall({ query: 'favourite volcano' }, dora);
        return items.some((h) => h.messageId === id) ? items : null;
      }, 1000, 10);
      expect(Date.now() - started).toBeLessThan(1000);
      expect(hit).toMatchObject({ messageId: id, chatId: chat, role: 'user', content: 'My favourite volcano is Eyjafjallajokull in Iceland' });
      expect(hit!.score).toBeGreaterThan(0);
      expect(hit!.highlight).toContain('<mark>volcano</mark>');
      expect(Math.abs(Date.parse(hit!.createdAt) - started)).toBeLessThan(5_000);
    });

    it('never returns another user\'s messages, for members or admins', async () => {
      const doras = await newChat('dora', dora);
      const eves = await newChat('eve', eve);
      const mine = await say(doras, 'the launch code is pineapple', dora);
      const theirs = await say(eves, 'the launch code is pineapple', eve);
      await caughtUp();
      // Hybrid search ranks every message of the user (the dense side always has neighbours): the
      // match comes first, and nothing of the other user comes at all.
      const ids = async (body: Record<string, unknown>, key?: string) => (await recall({ ...body, limit: 50 }, key)).map((h) => h.messageId);
      const forDora = await ids({ query: 'launch code pineapple' }, dora);
      expect(forDora[0]).toBe(mine);
      expect(forDora).not.toContain(theirs);
      const forEve = await ids({ query: 'launch code pineapple' }, eve);
      expect(forEve).toEqual([theirs]);
      expect(await ids({ userId: 'eve', query: 'launch code pineapple' })).toEqual([theirs]);
      expect(await ids({ userId: 'dora', query: 'launch code pineapple' })).toEqual(forDora);
      // Naming eve's chat does not widen dora's view.
      expect(await recall({ query: 'launch code pineapple', chatId: eves }, dora)).toEqual([]);
      expect(await recall({ userId: 'nobody', query: 'launch code pineapple' })).toEqual([]);
    });

    it('returns a long message once, however many of its chunks match', async () => {
      const chat = await newChat('dora');
      const paragraph = 'The walrus expedition logged another walrus colony on the northern ice shelf today. ';
      const long = await say(chat, paragraph.repeat(40));
      await caughtUp();
      const hits = await recall({ userId: 'dora', query: 'walrus colony expedition', limit: 50 });
      expect(hits[0]!.messageId).toBe(long);
      expect(hits.filter((h) => h.messageId === long)).toHaveLength(1);
      expect(new Set(hits.map((h) => h.messageId)).size).toBe(hits.length);
    });

    it('narrows by chat and by time', async () => {
      const a = await newChat('dora');
      const b = await newChat('dora');
      const inA = await say(a, 'quokka sightings on Rottnest');
      const inB = await say(b, 'quokka photos from the island');
      await caughtUp();
      expect((await recall({ userId: 'dora', query: 'quokka' })).slice(0, 2).map((h) => h.messageId).sort()).toEqual([inA, inB].sort());
      expect((await recall({ userId: 'dora', query: 'quokka', chatId: a })).map((h) => h.messageId)).toEqual([inA]);
      expect((await recall({ userId: 'dora', query: 'quokka', chatId: b })).map((h) => h.messageId)).toEqual([inB]);
      const future = new Date(Date.now() + DAY).toISOString();
      expect(await recall({ userId: 'dora', query: 'quokka', from: future })).toEqual([]);
      const past = new Date(Date.now() - DAY).toISOString();
      const recent = await recall({ userId: 'dora', query: 'quokka', from: past, to: future, limit: 50 });
      expect(recent.map((h) => h.messageId)).toEqual(expect.arrayContaining([inA, inB]));
      expect(await recall({ userId: 'dora', query: 'quokka', to: past })).toEqual([]);
    });

    it('weights by recency: an equally relevant older message ranks below, by 0.5^(age / half-life)', async () => {
      const chat = await newChat('eve');
      // A message from 60 days ago (two half-lives), sent as its event with its time.
      const old = await t.call('POST', '/v1/events', { type: 'message.created', userId: 'eve', time: new Date(Date.now() - 60 * DAY).toISOString(), data: { chatId: chat, role: 'user', content: 'narwhal tusk facts' } });
      expect(old.statusCode, old.body).toBe(202);
      await caughtUp();
      const fresh = await say(chat, 'narwhal tusk facts');
      await caughtUp();
      const hits = await recall({ userId: 'eve', query: 'narwhal tusk facts', limit: 50 });
      expect(hits[0]!.messageId).toBe(fresh);
      const older = hits.find((h) => h.messageId === old.json().id)!;
      expect(Date.now() - Date.parse(older.createdAt)).toBeGreaterThan(59 * DAY);
      // The same text has the same hybrid score: what differs is the weight, 0.5^(60 / 30) = 0.25.
      expect(older.score / hits[0]!.score).toBeCloseTo(0.25, 2);
      expect(recencyWeight(60 * DAY, 30 * DAY)).toBeCloseTo(0.25, 10);
      expect(recencyWeight(-DAY, 30 * DAY)).toBe(1);
    });

    it('adopts a chat-messages collection made earlier from the bare template, and feeds it again', async () => {
      const store = t.app.backends.store;
      const { tenant } = await store.tenants.ensure(`memory-bare-${kind}`);
      const admin = (await createApiKey(store, { tenantId: tenant.id, role: 'admin' })).key;
      const bare = await t.call('POST', '/v1/collections', { name: 'chat-messages', template: 'chat-messages' }, admin);
      expect(bare.statusCode, bare.body).toBe(201);
      const chat = (await t.call('POST', '/v1/memory/chats', { userId: 'hal' }, admin)).json().id;
      const first = (await t.call('POST', `/v1/memory/chats/${chat}/messages`, { role: 'user', content: 'the axolotl tank needs cleaning' }, admin)).json().id;
      const found = await eventually(async () => {
        const res = await t.call('POST', '/v1/memory/search', { userId: 'hal', query: 'axolotl tank', from: new Date(Date.now() - DAY).toISOString() }, admin);
        return res.statusCode === 200 && res.json().items.length > 0 ? res.json().items : null;
      });
      expect(found.map((h: Hit) => h.messageId)).toEqual([first]);
      const settings = (await t.call('GET', '/v1/collections/chat-messages', undefined, admin)).json();
      expect(settings.metadata).toMatchObject({ chatId: 'string', userId: 'string', role: 'string', createdAt: 'number' });
      expect(settings.textFields).toContain('content');
    });

    it('a replay of the memory consumer rebuilds the chat-messages collection with the same recall', async () => {
      const queries = ['volcano', 'launch code', 'walrus', 'quokka', 'narwhal'];
      const snapshot = async () => Promise.all(queries.flatMap((query) => ['dora', 'eve'].map(async (userId) =>
        (await recall({ userId, query })).map((h) => [h.messageId, h.chatId, h.content, h.highlight]))));
      const before = await snapshot();
      expect(before.flat().length).toBeGreaterThan(5);
      const chunks = async () => (await t.call('GET', '/v1/collections/chat-messages')).json().stats.chunks;
      const chunksBefore = await chunks();
      expect((await t.call('DELETE', '/v1/collections/chat-messages')).statusCode).toBe(204);
      expect(await recall({ userId: 'dora', query: 'volcano' })).toEqual([]);
      const replay = await t.call('POST', '/v1/consumers/memory/replay', {});
      expect(replay.statusCode, replay.body).toBe(202);
      await caughtUp();
      expect(await snapshot()).toEqual(before);
      expect(await chunks()).toBe(chunksBefore);
      // Fed again on top of what it holds (at-least-once delivery), nothing changes.
      expect((await t.call('POST', '/v1/consumers/memory/replay', {})).statusCode).toBe(202);
      await caughtUp();
      expect(await snapshot()).toEqual(before);
      expect(await chunks()).toBe(chunksBefore);
      expect((await t.call('GET', '/v1/memory/chats?userId=dora&limit=200')).json().items.length).toBe(5);
    });
  });
});
