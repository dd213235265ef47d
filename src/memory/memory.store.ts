/**
 * The memory feature's own tables behind a port: chats and messages as the `memory` consumer
 * projects them from the log. Every write is idempotent (the consumer delivers at least once).
 */

export type MessageRole = 'user' | 'assistant' | 'system' | 'tool';
export type MessageMetadata = Record<string, string | number | boolean | null>;

export interface Chat {
  tenantId: string;
  /** The id of the chat's `chat.created` event. */
  id: string;
  userId: string;
  title: string | null;
  createdAt: number;
  /** The last change: a rename, a message, the deletion. */
  updatedAt: number;
  /** Set on a tombstone (the chat was deleted; its messages are gone). */
  deletedAt: number | null;
}

export interface Message {
  tenantId: string;
  /** The id of the message's `message.created` event. */
  id: string;
  chatId: string;
  userId: string;
  role: MessageRole;
  content: string;
  metadata: MessageMetadata | null;
  createdAt: number;
}

/** A page of a listing; `nextCursor` is the last id of the page when more may follow. */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface MemoryStore {
  /** Inserts the chat unless a chat with its id exists (a redelivery). */
  createChat(chat: Omit<Chat, 'updatedAt' | 'deletedAt'>, eventId: string): Promise<void>;
  /** Renames a live chat of `userId` if `eventId` is newer than its last change; false when nothing changed. */
  renameChat(params: { tenantId: string; chatId: string; userId: string; title: string | null; eventId: string; at: number }): Promise<boolean>;
  /** The chat (tombstones included), or undefined. */
  getChat(tenantId: string, chatId: string): Promise<Chat | undefined>;
  /** A user's live chats, newest first, after the cursor (a chat id). */
  listChats(tenantId: string, userId: string, cursor: string | null, limit: number): Promise<Page<Chat>>;
  /** Inserts the message unless it exists, and marks its chat changed at its time. */
  addMessage(message: Message): Promise<void>;
  /** A chat's messages in conversation order (oldest first), after the cursor (a message id). */
  listMessages(tenantId: string, chatId: string, cursor: string | null, limit: number): Promise<Page<Message>>;
  /** The ids of a chat's messages after `after`, in id order (for removing them from the index). */
  messageIds(tenantId: string, chatId: string, after: string | null, limit: number): Promise<string[]>;
  /** The messages with these ids (any order; missing ones are absent). */
  messagesByIds(tenantId: string, ids: string[]): Promise<Message[]>;
  /** Deletes a chat's messages and leaves a tombstone, in one transaction. */
  deleteChat(params: { tenantId: string; chatId: string; eventId: string; at: number }): Promise<void>;
  /** Every chat and message of a user (tombstones too); returns the rows deleted. */
  eraseUser(tenantId: string, userId: string): Promise<number>;
  /** Everything held about a user: live chats and their messages, oldest first. */
  exportUser(tenantId: string, userId: string): Promise<{ chats: Chat[]; messages: Message[] }>;
}
