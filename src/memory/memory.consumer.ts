/**
 * The `memory` consumer: projects chat and message events into memory's tables and keeps the
 * tenant's `chat-messages` collection in step with them (chat-index.ts).
 *
 * One consumer does both, ordered by user: a chat's events are its user's, so they apply in log
 * order, and `chat.deleted` finds in the tables exactly the messages that were indexed before
 * it. It is a `handle` consumer (the search index is an outside effect) and every step is
 * idempotent: inserts ignore existing rows, a rename applies only if newer, and the index keeps
 * each document's last event id. A deletion removes the messages from the index before the
 * tables, so a retry after a failure still finds them.
 *
 * Events are checked against the chat, whoever sent them (the events API takes these types too):
 * a message or change for a chat of another user, or a deleted or unknown one, is skipped.
 */
import type { ConsumerDefinition } from '../events/consumers/consumer.registry.js';
import type { Logger } from '../platform/logger.js';
import type { LogEntry } from '../ports/events.types.js';
import type { ChatIndex } from './chat-index.js';
import type { Chat, MemoryStore, MessageMetadata, MessageRole } from './memory.store.js';

export const MEMORY_CONSUMER = 'memory';
export const CHAT_CREATED = 'chat.created';
export const CHAT_UPDATED = 'chat.updated';
export const CHAT_DELETED = 'chat.deleted';
export const MESSAGE_CREATED = 'message.created';
export const MEMORY_TYPES = [CHAT_CREATED, CHAT_UPDATED, CHAT_DELETED, MESSAGE_CREATED];
/** How the consumer is partitioned (the routes compute an event's partition with it). */
export const MEMORY_ORDER = { orderBy: 'userId' } as const;

/** Message ids read per step of a deletion. */
const DELETE_PAGE = 500;

interface MemoryEventData { chatId?: unknown; title?: unknown; role?: unknown; content?: unknown; metadata?: unknown }

export interface MemoryConsumerDeps {
  store: MemoryStore;
  index: ChatIndex;
  logger: Logger;
}

const ROLES: ReadonlySet<string> = new Set(['user', 'assistant', 'system', 'tool']);

function dataOf(event: LogEntry): MemoryEventData {
  return event.data !== null && typeof event.data === 'object' ? (event.data as MemoryEventData) : {};
}

/** The event's chat when it is live and belongs to the event's user; logs the skip otherwise. */
async function chatOf(deps: MemoryConsumerDeps, event: LogEntry): Promise<Chat | null> {
  const { chatId } = dataOf(event);
  const chat = typeof chatId === 'string' ? await deps.store.getChat(event.tenantId, chatId) : undefined;
  if (chat && chat.deletedAt === null && chat.userId === event.userId) return chat;
  deps.logger.info({ eventId: event.id, type: event.type, chat: chat ? (chat.deletedAt === null ? 'another user\'s' : 'deleted') : 'unknown' }, 'memory event for a chat it cannot change; skipped');
  return null;
}

async function created(deps: MemoryConsumerDeps, event: LogEntry): Promise<void> {
  const { title } = dataOf(event);
  await deps.store.createChat({ tenantId: event.tenantId, id: event.id, userId: event.userId!, title: typeof title === 'string' ? title : null, createdAt: event.time }, event.id);
}

async function updated(deps: MemoryConsumerDeps, event: LogEntry): Promise<void> {
  const chat = await chatOf(deps, event);
  if (!chat) return;
  const { title } = dataOf(event);
  await deps.store.renameChat({ tenantId: event.tenantId, chatId: chat.id, userId: chat.userId, title: typeof title === 'string' ? title : null, eventId: event.id, at: event.time });
}

async function message(deps: MemoryConsumerDeps, event: LogEntry): Promise<void> {
  const chat = await chatOf(deps, event);
  if (!chat) return;
  const data = dataOf(event);
  if (typeof data.content !== 'string' || typeof data.role !== 'string' || !ROLES.has(data.role)) {
    deps.logger.warn({ eventId: event.id }, 'message.created without content or a known role; skipped');
    return;
  }
  const metadata = data.metadata !== null && typeof data.metadata === 'object' && !Array.isArray(data.metadata) ? (data.metadata as MessageMetadata) : null;
  const row = { tenantId: event.tenantId, id: event.id, chatId: chat.id, userId: chat.userId, role: data.role as MessageRole, content: data.content, metadata, createdAt: event.time };
  await deps.store.addMessage(row);
  await deps.index.put(row, event.id);
}

async function deleted(deps: MemoryConsumerDeps, event: LogEntry): Promise<void> {
  const chat = await chatOf(deps, event);
  if (!chat) return;
  for (let after: string | null = null; ;) {
    const ids = await deps.store.messageIds(event.tenantId, chat.id, after, DELETE_PAGE);
    await deps.index.remove(event.tenantId, ids, event.id);
    if (ids.length < DELETE_PAGE) break;
    after = ids.at(-1)!;
  }
  await deps.store.deleteChat({ tenantId: event.tenantId, chatId: chat.id, eventId: event.id, at: event.time });
}

export function memoryConsumer(deps: MemoryConsumerDeps): ConsumerDefinition {
  return {
    name: MEMORY_CONSUMER,
    description: 'Keeps chats and messages (GET /v1/memory/chats) and the chat-messages collection (recall) in step with chat and message events',
    types: MEMORY_TYPES,
    delivery: 'durable',
    ...MEMORY_ORDER,
    async handle(event) {
      // Chats belong to a user: events without one describe no chat.
      if (event.userId === null) return;
      if (event.type === CHAT_CREATED) return created(deps, event);
      if (event.type === CHAT_UPDATED) return updated(deps, event);
      if (event.type === MESSAGE_CREATED) return message(deps, event);
      if (event.type === CHAT_DELETED) return deleted(deps, event);
    },
  };
}
