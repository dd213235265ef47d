/**
 * The memory feature's store on SQLite and PostgreSQL: chats newest first and messages oldest
 * first with cursors, per tenant and user; idempotent writes (the consumer delivers at least
 * once); a rename applies only when newer; a deletion leaves a tombstone and no messages; erase
 * touches only its user.
 */
import { expect, it } from 'vitest';
import { sqlMemoryStore } from '../../src/memory/memory.sql.js';
import type { Message } from '../../src/memory/memory.store.js';
import { newId } from '../../src/platform/ids.js';
import { describeOnEachDialect } from './feature-stores.js';
import { T0, newTenant } from './store.fixtures.js';

describeOnEachDialect('memory store', ({ store }) => {
  const memory = () => sqlMemoryStore(store().db);
  const message = (tenantId: string, chatId: string, userId: string, content: string, at: number): Message => ({
    tenantId, id: newId(at), chatId, userId, role: 'user', content, metadata: { source: 'test', n: 1 }, createdAt: at,
  });

  it('lists a user\'s chats newest first by cursor, never another user\'s or tenant\'s, and ignores a redelivered creation', async () => {
    const tenant = await newTenant(store());
    const other = await newTenant(store());
    const ids = [0, 1, 2].map((i) => newId(T0 + i));
    for (const [i, id] of ids.entries()) await memory().createChat({ tenantId: tenant, id, userId: 'u1', title: `chat ${i}`, createdAt: T0 + i }, id);
    await memory().createChat({ tenantId: tenant, id: ids[0]!, userId: 'u1', title: 'again', createdAt: T0 + 9 }, ids[0]!);
    await memory().createChat({ tenantId: tenant, id: newId(T0 + 5), userId: 'u2', title: 'theirs', createdAt: T0 + 5 }, newId());
    await memory().createChat({ tenantId: other, id: newId(T0 + 6), userId: 'u1', title: 'other tenant', createdAt: T0 + 6 }, newId());
    const first = await memory().listChats(tenant, 'u1', null, 2);
    expect(first.items.map((c) => c.title)).toEqual(['chat 2', 'chat 1']);
    expect(first.nextCursor).toBe(ids[1]);
    const second = await memory().listChats(tenant, 'u1', first.nextCursor, 2);
    expect(second.items.map((c) => c.title)).toEqual(['chat 0']);
    expect(second.nextCursor).toBeNull();
    expect((await memory().getChat(other, ids[0]!))).toBeUndefined();
  });

  it('renames only with a newer event, only the chat\'s own user, never a deleted chat', async () => {
    const tenant = await newTenant(store());
    const id = newId(T0);
    await memory().createChat({ tenantId: tenant, id, userId: 'u1', title: null, createdAt: T0 }, id);
    const older = newId(T0 + 1);
    const newer = newId(T0 + 2);
    expect(await memory().renameChat({ tenantId: tenant, chatId: id, userId: 'u1', title: 'new', eventId: newer, at: T0 + 2 })).toBe(true);
    expect(await memory().renameChat({ tenantId: tenant, chatId: id, userId: 'u1', title: 'old', eventId: older, at: T0 + 1 })).toBe(false);
    expect(await memory().renameChat({ tenantId: tenant, chatId: id, userId: 'u2', title: 'hijack', eventId: newId(T0 + 3), at: T0 + 3 })).toBe(false);
    expect((await memory().getChat(tenant, id))).toMatchObject({ title: 'new', updatedAt: T0 + 2 });
    await memory().deleteChat({ tenantId: tenant, chatId: id, eventId: newId(T0 + 4), at: T0 + 4 });
    expect(await memory().renameChat({ tenantId: tenant, chatId: id, userId: 'u1', title: 'late', eventId: newId(T0 + 5), at: T0 + 5 })).toBe(false);
  });

  it('keeps messages once each, oldest first by cursor, and a deletion leaves a tombstone without messages', async () => {
    const tenant = await newTenant(store());
    const chat = newId(T0);
    const kept = newId(T0);
    await memory().createChat({ tenantId: tenant, id: chat, userId: 'u1', title: 't', createdAt: T0 }, chat);
    await memory().createChat({ tenantId: tenant, id: kept, userId: 'u1', title: 'kept', createdAt: T0 }, kept);
    const messages = [1, 2, 3].map((i) => message(tenant, chat, 'u1', `m${i}`, T0 + i * 1000));
    for (const m of messages) await memory().addMessage(m);
    await memory().addMessage({ ...messages[0]!, content: 'redelivered' });
    await memory().addMessage(message(tenant, kept, 'u1', 'other chat', T0 + 10));
    const page = await memory().listMessages(tenant, chat, null, 2);
    expect(page.items.map((m) => m.content)).toEqual(['m1', 'm2']);
    expect(page.items[0]).toEqual(messages[0]);
    expect((await memory().listMessages(tenant, chat, page.nextCursor, 2)).items.map((m) => m.content)).toEqual(['m3']);
    expect((await memory().getChat(tenant, chat))?.updatedAt).toBe(T0 + 3000);
    expect(await memory().messageIds(tenant, chat, messages[0]!.id, 10)).toEqual([messages[1]!.id, messages[2]!.id]);
    expect((await memory().messagesByIds(tenant, messages.map((m) => m.id))).length).toBe(3);
    expect(await memory().messagesByIds(await newTenant(store()), messages.map((m) => m.id))).toEqual([]);

    await memory().deleteChat({ tenantId: tenant, chatId: chat, eventId: newId(T0 + 5000), at: T0 + 5000 });
    await memory().deleteChat({ tenantId: tenant, chatId: chat, eventId: newId(T0 + 6000), at: T0 + 6000 });
    expect(await memory().getChat(tenant, chat)).toMatchObject({ title: null, deletedAt: T0 + 5000 });
    expect((await memory().listMessages(tenant, chat, null, 10)).items).toEqual([]);
    expect((await memory().listChats(tenant, 'u1', null, 10)).items.map((c) => c.id)).toEqual([kept]);
    expect((await memory().listMessages(tenant, kept, null, 10)).items.map((m) => m.content)).toEqual(['other chat']);
  });

  it('erases and exports one user of one tenant only', async () => {
    const tenant = await newTenant(store());
    const other = await newTenant(store());
    for (const [t, user] of [[tenant, 'u1'], [tenant, 'u2'], [other, 'u1']] as const) {
      const chat = newId(T0);
      await memory().createChat({ tenantId: t, id: chat, userId: user, title: `${user}`, createdAt: T0 }, chat);
      await memory().addMessage(message(t, chat, user, `hello from ${user}`, T0 + 1));
    }
    const exported = await memory().exportUser(tenant, 'u1');
    expect(exported.chats.map((c) => c.title)).toEqual(['u1']);
    expect(exported.messages.map((m) => m.content)).toEqual(['hello from u1']);
    expect(await memory().eraseUser(tenant, 'u1')).toBe(2);
    expect(await memory().eraseUser(tenant, 'u1')).toBe(0);
    expect(await memory().exportUser(tenant, 'u1')).toEqual({ chats: [], messages: [] });
    expect((await memory().exportUser(tenant, 'u2')).messages).toHaveLength(1);
    expect((await memory().exportUser(other, 'u1')).messages).toHaveLength(1);
  });
});
