/** The memory store on SQLite and PostgreSQL (one Kysely adapter for both dialects). */
import { sql, type Kysely } from 'kysely';
import type { Chat, MemoryStore, Message, MessageMetadata, MessageRole, Page } from './memory.store.js';

interface ChatRow { tenant_id: string; id: string; user_id: string; title: string | null; created_at: number | string; updated_at: number | string; last_event_id: string; deleted_at: number | string | null }
interface MessageRow { tenant_id: string; id: string; chat_id: string; user_id: string; role: string; content: string; metadata: string | null; created_at: number | string }
interface MemoryTables { memory_chats: ChatRow; memory_messages: MessageRow }

/** Ids per statement: well within SQLite's and PostgreSQL's parameter limits. */
const IDS_PER_STATEMENT = 500;

const chatOf = (r: ChatRow): Chat => ({
  tenantId: r.tenant_id, id: r.id, userId: r.user_id, title: r.title, createdAt: Number(r.created_at), updatedAt: Number(r.updated_at),
  deletedAt: r.deleted_at === null ? null : Number(r.deleted_at),
});

const messageOf = (r: MessageRow): Message => ({
  tenantId: r.tenant_id, id: r.id, chatId: r.chat_id, userId: r.user_id, role: r.role as MessageRole, content: r.content,
  metadata: r.metadata === null ? null : (JSON.parse(r.metadata) as MessageMetadata), createdAt: Number(r.created_at),
});

function page<T extends { id: string }>(rows: T[], limit: number): Page<T> {
  const items = rows.slice(0, limit);
  return { items, nextCursor: rows.length > limit ? items.at(-1)!.id : null };
}

export function sqlMemoryStore(anyDb: Kysely<any>): MemoryStore {
  const db = anyDb as Kysely<MemoryTables>;
  return {
    async createChat(chat, eventId) {
      await db.insertInto('memory_chats').values({
        tenant_id: chat.tenantId, id: chat.id, user_id: chat.userId, title: chat.title, created_at: chat.createdAt, updated_at: chat.createdAt,
        last_event_id: eventId, deleted_at: null,
      }).onConflict((oc) => oc.columns(['tenant_id', 'id']).doNothing()).execute();
    },
    async renameChat({ tenantId, chatId, userId, title, eventId, at }) {
      // Only a newer event changes the title: a redelivered older rename never undoes a later one.
      const result = await db.updateTable('memory_chats').set({ title, last_event_id: eventId, updated_at: sql<number>`case when updated_at < cast(${at} as bigint) then cast(${at} as bigint) else updated_at end` })
        .where('tenant_id', '=', tenantId).where('id', '=', chatId).where('user_id', '=', userId)
        .where('deleted_at', 'is', null).where('last_event_id', '<', eventId).executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },
    async getChat(tenantId, chatId) {
      const row = await db.selectFrom('memory_chats').selectAll().where('tenant_id', '=', tenantId).where('id', '=', chatId).executeTakeFirst();
      return row ? chatOf(row) : undefined;
    },
    async listChats(tenantId, userId, cursor, limit) {
      let query = db.selectFrom('memory_chats').selectAll().where('tenant_id', '=', tenantId).where('user_id', '=', userId).where('deleted_at', 'is', null);
      if (cursor !== null) query = query.where('id', '<', cursor);
      return page((await query.orderBy('id', 'desc').limit(limit + 1).execute()).map(chatOf), limit);
    },
    async addMessage(m) {
      await db.insertInto('memory_messages').values({
        tenant_id: m.tenantId, id: m.id, chat_id: m.chatId, user_id: m.userId, role: m.role, content: m.content,
        metadata: m.metadata === null ? null : JSON.stringify(m.metadata), created_at: m.createdAt,
      }).onConflict((oc) => oc.columns(['tenant_id', 'id']).doNothing()).execute();
      await db.updateTable('memory_chats').set({ updated_at: m.createdAt })
        .where('tenant_id', '=', m.tenantId).where('id', '=', m.chatId).where('updated_at', '<', m.createdAt).execute();
    },
    async listMessages(tenantId, chatId, cursor, limit) {
      let query = db.selectFrom('memory_messages').selectAll().where('tenant_id', '=', tenantId).where('chat_id', '=', chatId);
      if (cursor !== null) query = query.where('id', '>', cursor);
      return page((await query.orderBy('id', 'asc').limit(limit + 1).execute()).map(messageOf), limit);
    },
    async messageIds(tenantId, chatId, after, limit) {
      let query = db.selectFrom('memory_messages').select('id').where('tenant_id', '=', tenantId).where('chat_id', '=', chatId);
      if (after !== null) query = query.where('id', '>', after);
      return (await query.orderBy('id', 'asc').limit(limit).execute()).map((r) => r.id);
    },
    async messagesByIds(tenantId, ids) {
      const out: Message[] = [];
      for (let i = 0; i < ids.length; i += IDS_PER_STATEMENT) {
        const part = ids.slice(i, i + IDS_PER_STATEMENT);
        const rows = await db.selectFrom('memory_messages').selectAll().where('tenant_id', '=', tenantId).where('id', 'in', part).execute();
        out.push(...rows.map(messageOf));
      }
      return out;
    },
    async deleteChat({ tenantId, chatId, eventId, at }) {
      await db.transaction().execute(async (trx) => {
        await trx.deleteFrom('memory_messages').where('tenant_id', '=', tenantId).where('chat_id', '=', chatId).execute();
        await trx.updateTable('memory_chats').set({ title: null, deleted_at: at, updated_at: at, last_event_id: eventId })
          .where('tenant_id', '=', tenantId).where('id', '=', chatId).where('deleted_at', 'is', null).execute();
      });
    },
    async eraseUser(tenantId, userId) {
      return db.transaction().execute(async (trx) => {
        const messages = await trx.deleteFrom('memory_messages').where('tenant_id', '=', tenantId).where('user_id', '=', userId).executeTakeFirst();
        const chats = await trx.deleteFrom('memory_chats').where('tenant_id', '=', tenantId).where('user_id', '=', userId).executeTakeFirst();
        return Number(messages.numDeletedRows) + Number(chats.numDeletedRows);
      });
    },
    async exportUser(tenantId, userId) {
      const chats = await db.selectFrom('memory_chats').selectAll().where('tenant_id', '=', tenantId).where('user_id', '=', userId)
        .where('deleted_at', 'is', null).orderBy('id', 'asc').execute();
      const messages = await db.selectFrom('memory_messages').selectAll().where('tenant_id', '=', tenantId).where('user_id', '=', userId).orderBy('id', 'asc').execute();
      return { chats: chats.map(chatOf), messages: messages.map(messageOf) };
    },
  };
}
