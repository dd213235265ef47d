/**
 * Keeps the tenant's `chat-messages` collection in step with memory's messages, through the
 * retrieval feature's document indexer (chunking, embedding, the search index and its cache):
 * memory does not index by itself. Each message is one document (id = message id) owned by its
 * user (`userId`, the member view's owner field) with `chatId`, `role` and `createdAt` as
 * filterable metadata. Writes are idempotent by event id: a document keeps the id of the last
 * event applied to it, so a redelivered `message.created` is `stale` and a deleted message's
 * tombstone (the `chat.deleted` event's id, newer) keeps it from coming back.
 */
import type { Logger } from '../platform/logger.js';
import type { CreateCollection } from '../rag/collections/collection.schemas.js';
import type { RetrievalApi } from '../rag/retrieval.feature.js';
import type { Collection } from '../rag/store/rag.store.js';
import type { Message } from './memory.store.js';

export const CHAT_COLLECTION = 'chat-messages';

/**
 * The settings memory needs on top of the `chat-messages` template: the message content as text
 * (`text` stays for the template's `message.sent` source) and the metadata recall filters on.
 */
const REQUIRED_METADATA = { chatId: 'string', userId: 'string', role: 'string', createdAt: 'number' } as const;
const TEXT_FIELDS = ['content', 'text'];

function fits(collection: Collection): boolean {
  const { metadata, textFields } = collection.settings;
  return textFields.includes('content') && Object.entries(REQUIRED_METADATA).every(([field, type]) => metadata[field] === type);
}

export class ChatIndex {
  constructor(private readonly deps: {
    retrieval: RetrievalApi;
    logger: Logger;
    /** Re-feeds memory's events of a tenant (after the collection was rebuilt from the indexer's sources only). */
    refeed: (tenantId: string) => Promise<void>;
  }) {}

  /**
   * The tenant's chat-messages collection, created from its template with memory's settings on
   * first use. One created earlier without them (from the bare template) gets them added; that
   * change rebuilds it from the indexer's sources, so memory's events are fed again after it.
   */
  async collection(tenantId: string): Promise<Collection> {
    const { collections } = this.deps.retrieval;
    const existing = (await collections.list(tenantId)).find((c) => c.name === CHAT_COLLECTION);
    if (existing && fits(existing)) return existing;
    const settings: Omit<CreateCollection, 'name'> = {
      textFields: [...new Set([...(existing?.settings.textFields ?? []), ...TEXT_FIELDS])],
      metadata: { ...(existing?.settings.metadata ?? { channel: 'string' }), ...REQUIRED_METADATA },
    };
    if (!existing) {
      try {
        return await collections.create(tenantId, { name: CHAT_COLLECTION, template: CHAT_COLLECTION, ...settings });
      } catch (error) {
        // Another process created it a moment ago: use (and if need be adapt) theirs.
        if ((error as { code?: string }).code !== 'CONFLICT') throw error;
        const created = await collections.get(tenantId, CHAT_COLLECTION);
        if (fits(created)) return created;
      }
    }
    this.deps.logger.warn({ tenantId }, 'chat-messages collection lacks memory\'s fields: adding them (rebuild, then memory is fed again)');
    const { collection } = await collections.update(tenantId, CHAT_COLLECTION, settings);
    await this.deps.refeed(tenantId);
    return collection;
  }

  /** Indexes one message (`eventId` is its `message.created` event's id). */
  async put(message: Message, eventId: string): Promise<void> {
    const collection = await this.collection(message.tenantId);
    await this.deps.retrieval.documents.apply({
      collection, documentId: message.id, eventId, owner: message.userId,
      fields: { content: message.content, chatId: message.chatId, userId: message.userId, role: message.role, createdAt: message.createdAt },
    });
  }

  /** Removes messages from the index; `eventId` is the deleting event's (newer than theirs). */
  async remove(tenantId: string, messageIds: string[], eventId: string): Promise<void> {
    if (messageIds.length === 0) return;
    const collection = await this.collection(tenantId);
    for (const documentId of messageIds) {
      await this.deps.retrieval.documents.apply({ collection, documentId, eventId, fields: null });
    }
  }
}
