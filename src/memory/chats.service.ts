/**
 * Chat and message writes and reads for the routes. Writes append an event to the log and
 * answer with its id once the log has accepted it; the `memory` consumer applies it a moment
 * later. Reads come from memory's tables, except that a chat the log has accepted but the
 * consumer not yet applied is already found (by its `chat.created` event), so a client can add
 * messages right after creating a chat.
 *
 * Who sees what: a member only their own chats, an admin any chat of their tenant. Another
 * user's chat is answered like a missing one (404 NOT_FOUND, never 403): a member learns
 * nothing about chats that are not theirs, not even that an id exists. Naming another user
 * in `userId` is a 403 AUTH_FORBIDDEN_USER (scopedUser), as everywhere in the API.
 */
import { partitionOf } from '../events/consumers/partitions.js';
import type { IngestService } from '../events/ingest/ingest.service.js';
import type { Principal } from '../identity/principal.js';
import { AppError } from '../platform/errors.js';
import type { Store } from '../ports/store.port.js';
import { CHAT_CREATED, CHAT_DELETED, CHAT_UPDATED, MEMORY_CONSUMER, MEMORY_ORDER, MESSAGE_CREATED } from './memory.consumer.js';
import type { NewMessage } from './memory.schemas.js';
import type { Chat, MemoryStore } from './memory.store.js';

export interface ChatsServiceDeps {
  store: MemoryStore;
  /** The backbone store: the log, for chats accepted but not yet projected. */
  log: Pick<Store, 'events' | 'positions'>;
  ingest: IngestService;
}

const notFound = (id: string) => new AppError('NOT_FOUND', { detail: `no chat ${id}` });

export class ChatsService {
  constructor(private readonly deps: ChatsServiceDeps) {}

  /** The chat if the principal may see it (live, theirs or an admin's tenant's); NOT_FOUND otherwise. */
  async visible(principal: Principal, chatId: string): Promise<Chat> {
    const tenantId = principal.tenant.id;
    const chat = (await this.deps.store.getChat(tenantId, chatId)) ?? (await this.#accepted(tenantId, chatId));
    if (!chat || chat.deletedAt !== null) throw notFound(chatId);
    if (principal.role === 'member' && chat.userId !== principal.userId) throw notFound(chatId);
    return chat;
  }

  /**
   * A chat whose creation the log holds but the consumer has not applied yet. Once the consumer's
   * partition is past the event, the row is the answer: missing means gone (its user was erased).
   */
  async #accepted(tenantId: string, chatId: string): Promise<Chat | undefined> {
    const event = await this.deps.log.events.get(tenantId, chatId);
    if (!event || event.type !== CHAT_CREATED || event.userId === null) return undefined;
    const partition = partitionOf(MEMORY_ORDER, event);
    const position = (await this.deps.log.positions.list(MEMORY_CONSUMER)).find((p) => p.partition === partition)?.position ?? 0;
    // Applied meanwhile (the row was read before), or applied and erased since: the row decides.
    if (event.seq <= position) return this.deps.store.getChat(tenantId, chatId);
    const title = (event.data as { title?: unknown } | null)?.title;
    return { tenantId, id: event.id, userId: event.userId, title: typeof title === 'string' ? title : null, createdAt: event.time, updatedAt: event.time, deletedAt: null };
  }

  async create(principal: Principal, userId: string, title: string | undefined, initial: NewMessage | undefined): Promise<{ id: string; initialMessageId: string | null }> {
    const chat = await this.deps.ingest.ingestOne(principal, { type: CHAT_CREATED, userId, data: title === undefined ? {} : { title } });
    // Appended after the chat's event: the consumer (ordered by user) applies the chat first.
    const message = initial ? await this.#message(principal, chat.id, userId, initial) : null;
    return { id: chat.id, initialMessageId: message };
  }

  async addMessage(principal: Principal, chatId: string, input: NewMessage): Promise<string> {
    const chat = await this.visible(principal, chatId);
    return this.#message(principal, chat.id, chat.userId, input);
  }

  async rename(principal: Principal, chatId: string, title: string | null): Promise<string> {
    const chat = await this.visible(principal, chatId);
    return (await this.deps.ingest.ingestOne(principal, { type: CHAT_UPDATED, userId: chat.userId, subject: `chat/${chat.id}`, data: { chatId: chat.id, title } })).id;
  }

  async remove(principal: Principal, chatId: string): Promise<string> {
    const chat = await this.visible(principal, chatId);
    return (await this.deps.ingest.ingestOne(principal, { type: CHAT_DELETED, userId: chat.userId, subject: `chat/${chat.id}`, data: { chatId: chat.id } })).id;
  }

  async #message(principal: Principal, chatId: string, userId: string, input: NewMessage): Promise<string> {
    const data = { chatId, role: input.role, content: input.content, ...(input.metadata ? { metadata: input.metadata } : {}) };
    return (await this.deps.ingest.ingestOne(principal, { type: MESSAGE_CREATED, userId, subject: `chat/${chatId}`, data })).id;
  }
}
