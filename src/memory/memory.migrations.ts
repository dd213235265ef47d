/** The memory feature's migrations (tracked in its own table, `memory_migrations`). */
import type { Kysely, Migration } from 'kysely';
import type { SqlDialect } from '../feature.js';

/**
 * Chats and their messages as the `memory` consumer projects them from the log. A chat's id is
 * the id of its `chat.created` event, a message's the id of its `message.created` event: both
 * UUIDv7, so ordering by id is ordering by receipt (the listing's "newest first" and the
 * messages' conversation order need no separate time index). A deleted chat keeps a tombstone
 * row (no title) until its user is erased: a late `message.created` finds the chat deleted
 * instead of missing, and the routes answer 404 for it.
 */
const migration001: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.createTable('memory_chats')
      .addColumn('tenant_id', 'text', (c) => c.notNull())
      .addColumn('id', 'text', (c) => c.notNull())
      .addColumn('user_id', 'text', (c) => c.notNull())
      .addColumn('title', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addColumn('last_event_id', 'text', (c) => c.notNull())
      .addColumn('deleted_at', 'bigint')
      .addPrimaryKeyConstraint('memory_chats_pk', ['tenant_id', 'id'])
      .execute();
    await db.schema.createIndex('memory_chats_user').on('memory_chats').columns(['tenant_id', 'user_id', 'id']).execute();
    await db.schema.createTable('memory_messages')
      .addColumn('tenant_id', 'text', (c) => c.notNull())
      .addColumn('id', 'text', (c) => c.notNull())
      .addColumn('chat_id', 'text', (c) => c.notNull())
      .addColumn('user_id', 'text', (c) => c.notNull())
      .addColumn('role', 'text', (c) => c.notNull())
      .addColumn('content', 'text', (c) => c.notNull())
      .addColumn('metadata', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('memory_messages_pk', ['tenant_id', 'id'])
      .execute();
    await db.schema.createIndex('memory_messages_chat').on('memory_messages').columns(['tenant_id', 'chat_id', 'id']).execute();
    await db.schema.createIndex('memory_messages_user').on('memory_messages').columns(['tenant_id', 'user_id']).execute();
  },
};

export function memoryMigrations(_dialect: SqlDialect): Record<string, Migration> {
  return { '001_chats_messages': migration001 };
}
