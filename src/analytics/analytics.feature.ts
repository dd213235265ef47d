/**
 * The analytics feature: what people do, as projections of the log. Each part (sessions,
 * prediction, similar people, tenant insights) brings its consumers, routes and privacy hooks;
 * `setup` joins them, so adding a part is one line here. Rows carry the person's id, so a person
 * is erased or exported with index lookups.
 */
import type { CategorizerApi } from '../categorizer/intents.port.js';
import { projectionPartitions } from '../events/consumers/partitions.js';
import { defineFeature, type FeatureContext, type FeatureParts, type PrivacyHooks } from '../feature.js';
import { analyticsMigrations } from './analytics.migrations.js';
import { analyticsRoutes } from './analytics.routes.js';
import { insightsPart } from './insights/insights.part.js';
import { journeyRoutes } from './journey.routes.js';
import { predictPart } from './predict/predict.part.js';
import { similarPart } from './similar/similar.part.js';
import { sessionsConsumer } from './sessions/sessions.consumer.js';
import { sqlSessionsStore } from './sessions/sessions.sql.js';
import type { SessionsStore } from './sessions/sessions.store.js';

/** One part of the analytics feature: what `FeatureParts` holds, without `api`. */
export type AnalyticsPart = Omit<FeatureParts, 'api'>;

function sessionsPart({ config, store, featureApi }: FeatureContext, sessions: SessionsStore): AnalyticsPart {
  const intents = featureApi<CategorizerApi>('categorizer');
  return {
    consumers: [sessionsConsumer(sessions, config.ANALYTICS_SESSION_GAP_MINUTES * 60_000)],
    routes: [{ plugin: analyticsRoutes, options: { sessions, ...(intents ? { intents } : {}) } }, { plugin: journeyRoutes, options: { sessions, events: store.events } }],
    privacy: {
      eraseUser: (tenantId, userId) => sessions.erasePerson(tenantId, userId),
      exportUser: async (tenantId, userId) => ({ ...(await sessions.exportPerson(tenantId, userId)) }),
    },
  };
}

/** The parts' privacy hooks as one: erase sums what each removed, export merges their records. */
function joinPrivacy(hooks: PrivacyHooks[]): PrivacyHooks {
  return {
    async eraseUser(tenantId, userId) {
      let removed = 0;
      for (const hook of hooks) removed += await hook.eraseUser(tenantId, userId);
      return removed;
    },
    async exportUser(tenantId, userId) {
      const record: Record<string, unknown> = {};
      for (const hook of hooks) Object.assign(record, await hook.exportUser(tenantId, userId));
      return record;
    },
  };
}

export const analyticsFeature = defineFeature<SessionsStore>({
  name: 'analytics',
  migrations: analyticsMigrations,
  setup(context) {
    const sessions = sqlSessionsStore(context.db);
    const parts: AnalyticsPart[] = [
      sessionsPart(context, sessions),
      predictPart(context, sessions),
      similarPart(context),
      insightsPart(context),
    ];
    return {
      // Sessions, prediction and similar people are new consumers of this release: their
      // partitions follow the store (projectionPartitions).
      consumers: parts.flatMap((p) => p.consumers ?? []).map((c) => ({ ...c, partitions: projectionPartitions(context.dialect) })),
      routes: parts.flatMap((p) => p.routes ?? []),
      privacy: joinPrivacy(parts.flatMap((p) => (p.privacy ? [p.privacy] : []))),
      start: async () => { for (const p of parts) await p.start?.(); },
      close: async () => { for (const p of [...parts].reverse()) await p.close?.(); },
      api: sessions,
    };
  },
});
