/**
 * The categorizer feature: every event gets an intent and a category (the sender's, a tenant
 * rule's, zero-shot by embeddings against the tenant's labels, or an LLM's), stored beside the
 * event in `event_intents`. It annotates the events API, offers the intents to later features
 * (CategorizerApi, intents.port.ts) and erases and exports a person's rows. See docs/categorizer.md.
 */
import { defineFeature } from '../feature.js';
import { categorizerConsumer } from './categorizer.consumer.js';
import { categorizerMigrations } from './categorizer.migrations.js';
import { categorizerRoutes } from './categorizer.routes.js';
import { sqlCategorizerStore } from './categorizer.sql.js';
import { Classifier } from './classifier.js';
import type { CategorizerApi } from './intents.port.js';

export const categorizerFeature = defineFeature<CategorizerApi>({
  name: 'categorizer',
  migrations: categorizerMigrations,
  setup({ config, db, store: backbone, embedder, generator, catalog, replay, logger }) {
    const store = sqlCategorizerStore(db);
    const llm = config.CATEGORIZER === 'llm';
    const classifier = new Classifier({
      embedder, logger: logger.child({ component: 'categorizer' }), llmBatch: config.CATEGORIZER_LLM_BATCH, ...(llm ? { generator } : {}),
    });
    const defaultThreshold = config.CATEGORIZER_THRESHOLD;
    return {
      consumers: [categorizerConsumer({ classifier, store, catalog, defaultThreshold })],
      routes: [{ plugin: categorizerRoutes, options: { store, backbone, replay, defaultThreshold, mode: classifier.mode, embedderModel: embedder.model } }],
      privacy: {
        eraseUser: (tenantId, userId) => store.eraseUser(tenantId, userId),
        exportUser: async (tenantId, userId) => ({ intents: await store.ofUser(tenantId, userId) }),
      },
      async annotateEvents(tenantId, eventIds) {
        const intents = await store.intentsOf(tenantId, eventIds);
        return new Map([...intents].map(([id, i]) => [id, { intent: { intent: i.intent, category: i.category, confidence: i.confidence, method: i.method } }]));
      },
      api: {
        intentsOf: (tenantId, eventIds, tx) => store.intentsOf(tenantId, eventIds, tx),
        intentCountsOfUser: (tenantId, userId, from, to, tx) => store.intentCountsOfUser(tenantId, userId, from, to, tx),
      },
    };
  },
});
