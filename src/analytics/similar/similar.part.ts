/**
 * The similar-people part of the analytics feature: the `analytics-similar` projection, its route
 * and privacy hooks (a person's rows and their vector in the search index). Intents join the
 * ranking when the categorizer feature is there (its api, checked once at setup).
 */
import type { FeatureContext } from '../../feature.js';
import { isAppError } from '../../platform/errors.js';
import type { AnalyticsPart } from '../analytics.feature.js';
import { PEOPLE_COLLECTION, similarConsumer } from './similar.consumer.js';
import type { IntentCounts } from './similar.rank.js';
import { similarRoutes } from './similar.routes.js';
import { sqlSimilarStore } from './similar.sql.js';

/**
 * What the similar part needs of the categorizer's api (src/categorizer/intents.port.ts): a
 * person's intent counts in [from, to), most frequent first.
 */
export interface CategorizerIntents {
  intentCountsOfUser(tenantId: string, userId: string, from: number, to: number): Promise<Array<{ intent: string; count: number }>>;
}

/** The person's intent counts over all time (summed over the categorizer's categories). */
export function intentsFrom(api: CategorizerIntents | undefined): IntentCounts | undefined {
  if (!api || typeof api.intentCountsOfUser !== 'function') return undefined;
  return async (tenantId, userId) => {
    const counts: Record<string, number> = {};
    for (const { intent, count } of await api.intentCountsOfUser(tenantId, userId, 0, Number.MAX_SAFE_INTEGER)) counts[intent] = (counts[intent] ?? 0) + count;
    return counts;
  };
}

export function similarPart({ db, searchIndex, embedder, featureApi }: FeatureContext): AnalyticsPart {
  const store = sqlSimilarStore(db);
  const intents = intentsFrom(featureApi<CategorizerIntents>('categorizer'));
  return {
    consumers: [similarConsumer({ store, index: searchIndex, embedder })],
    routes: [{ plugin: similarRoutes, options: { store, index: searchIndex, ...(intents ? { intents } : {}) } }],
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
