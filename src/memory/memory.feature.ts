/**
 * The memory feature: chats and messages per user (tables `memory_chats`, `memory_messages`, a
 * projection of the log kept by the `memory` consumer), the tenant's `chat-messages` collection
 * fed through the retrieval feature's document indexer, and recall over it (docs/memory.md).
 * It needs the retrieval feature listed before it in FEATURES.
 */
import { defineFeature, type FeatureContext, type FeatureParts } from '../feature.js';
import type { RetrievalApi } from '../rag/retrieval.feature.js';
import { ChatIndex } from './chat-index.js';
import { ChatsService } from './chats.service.js';
import { MEMORY_CONSUMER, memoryConsumer } from './memory.consumer.js';
import { memoryMigrations } from './memory.migrations.js';
import { memoryRoutes } from './memory.routes.js';
import { sqlMemoryStore } from './memory.sql.js';
import type { MemoryStore } from './memory.store.js';
import { RecallService } from './recall.service.js';

/** What other code (tests, the CLI) may call. */
export interface MemoryApi {
  store: MemoryStore;
  chats: ChatsService;
  recall: RecallService;
  index: ChatIndex;
}

export function createMemory(ctx: FeatureContext): FeatureParts<MemoryApi> {
  const retrieval = ctx.featureApi<RetrievalApi>('retrieval');
  if (!retrieval) throw new Error('the memory feature needs the retrieval feature listed before it in FEATURES');
  const store = sqlMemoryStore(ctx.db);
  const logger = ctx.logger.child({ consumer: MEMORY_CONSUMER });
  const index = new ChatIndex({
    retrieval, logger,
    refeed: async (tenantId) => { await ctx.replay.replay(tenantId, MEMORY_CONSUMER, {}); },
  });
  const chats = new ChatsService({ store, log: ctx.store, ingest: ctx.ingest });
  const recall = new RecallService({ retrieval, store, halfLifeDays: ctx.config.MEMORY_RECALL_HALF_LIFE_DAYS });
  return {
    consumers: [memoryConsumer({ store, index, logger })],
    routes: [{ plugin: memoryRoutes, options: { chats, store, recall } }],
    // The chat-messages documents are the retrieval feature's (its erase removes a user's documents
    // of every per-user collection); memory erases and exports its own tables.
    privacy: {
      eraseUser: (tenantId, userId) => store.eraseUser(tenantId, userId),
      exportUser: async (tenantId, userId) => ({ ...(await store.exportUser(tenantId, userId)) }),
    },
    api: { store, chats, recall, index },
  };
}

export const memoryFeature = defineFeature<MemoryApi>({
  name: 'memory',
  migrations: memoryMigrations,
  setup: createMemory,
});
