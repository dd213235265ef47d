/**
 * The prediction part of the analytics feature: the `analytics-predict` projection, its route and
 * privacy hooks. The counts are the tenant's (no user id); a person's erase removes their context.
 */
import type { FeatureContext } from '../../feature.js';
import type { AnalyticsPart } from '../analytics.feature.js';
import type { SessionsStore } from '../sessions/sessions.store.js';
import { predictConsumer } from './predict.consumer.js';
import { predictRoutes } from './predict.routes.js';
import { sqlPredictStore } from './predict.sql.js';

export function predictPart({ config, db }: FeatureContext, persons: Pick<SessionsStore, 'actorsOf'>): AnalyticsPart {
  const store = sqlPredictStore(db);
  const options = { maxOrder: config.ANALYTICS_PREDICT_MAX_ORDER, gapMs: config.ANALYTICS_SESSION_GAP_MINUTES * 60_000 };
  return {
    consumers: [predictConsumer(store, options)],
    routes: [{ plugin: predictRoutes, options: { store, ...options, actorsOf: persons.actorsOf } }],
    privacy: {
      eraseUser: (tenantId, userId) => store.eraseUser(tenantId, userId),
      exportUser: async (tenantId, userId) => {
        const row = await store.person(tenantId, userId);
        return { prediction: row ? { recentTypes: row.recent, sessionLength: row.sessionLength, lastTime: new Date(row.lastTime).toISOString(), events: row.events } : null };
      },
    },
  };
}
