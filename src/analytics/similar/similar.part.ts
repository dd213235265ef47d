/**
 * The similar-people part of the analytics feature: the `analytics-similar` projection, its route
 * and privacy hooks (a person's rows and their vector in the search index). Intents join the
 * vector when the categorizer feature is there (its api, checked once at setup).
 */
import type { FeatureContext } from '../../feature.js';
import { isAppError } from '../../platform/errors.js';
import type { StoreTx } from '../../ports/store.port.js';
import type { AnalyticsPart } from '../analytics.feature.js';
import { PEOPLE_COLLECTION, similarConsumer, type IntentCounts } from './similar.consumer.js';
import { similarRoutes } from './similar.routes.js';
import { sqlSimilarStore } from './similar.sql.js';

/**
 * What the similar part needs of the categorizer's api: a person's intent counts in [from, to),
 * read through `tx` when given (the projection's transaction; see IntentCounts).
 */
export interface CategorizerIntents {
  intentCountsOfUser(tenantId: string, userId: string, from: number, to: number, tx?: StoreTx): Promise<Record<string, number> | Map<string, number>>;
}

/** The person's intent counts over all time, from the categorizer's api (the one place to adapt if its shape changes). */
export function intentsFrom(api: CategorizerIntents | undefined): IntentCounts | undefined {
  if (!api || typeof api.intentCountsOfUser !== 'function') return undefined;
  return async (tx, tenantId, userId) => {
    const counts = await api.intentCountsOfUser(tenantId, userId, 0, Number.MAX_SAFE_INTEGER, tx);
    return counts instanceof Map ? Object.fromEntries(counts) : counts;
  };
}

export function similarPart({ db, searchIndex, embedder, featureApi }: FeatureContext): AnalyticsPart {
  const store = sqlSimilarStore(db);
  const intents = intentsFrom(featureApi<CategorizerIntents>('categorizer'));
  return {
    consumers: [similarConsumer({ store, index: searchIndex, embedder, ...(intents ? { intents } : {}) })],
    routes: [{ plugin: similarRoutes, options: { store, index: searchIndex } }],
    privacy: {
      async eraseUser(tenantId, userId) {
        const removed = await store.eraseUser(tenantId, userId);
        try {
          await searchIndex.deleteDocuments({ tenantId, collection: PEOPLE_COLLECTION, documentIds: [userId] });
        } catch (error) {
          if (!isAppError(error) || error.code !== 'NOT_FOUND') throw error; // the tenant has no person vectors yet
        }
        return removed;
      },
      async exportUser(tenantId, userId) {
        const [row] = await store.persons(tenantId, [userId]);
        return { similarity: row ? { profile: row.profile, events: row.events, texts: await store.textsOf(tenantId, userId) } : null };
      },
    },
  };
}
