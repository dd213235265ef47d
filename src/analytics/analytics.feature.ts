/**
 * The analytics feature: what people do, as projections of the log. First part: sessions per
 * person (the `analytics-sessions` consumer and table `analytics_sessions`), with a person's
 * sessions, engagement and journey under /v1/analytics/users/:userId. Rows carry user_id, so a person is
 * erased or exported with one index lookup.
 */
import { defineFeature } from '../feature.js';
import { analyticsMigrations } from './analytics.migrations.js';
import { analyticsRoutes } from './analytics.routes.js';
import { journeyRoutes } from './journey.routes.js';
import { sessionsConsumer } from './sessions/sessions.consumer.js';
import { sqlSessionsStore } from './sessions/sessions.sql.js';
import type { SessionsStore } from './sessions/sessions.store.js';

export const analyticsFeature = defineFeature<SessionsStore>({
  name: 'analytics',
  migrations: analyticsMigrations,
  setup({ db, config, store }) {
    const sessions = sqlSessionsStore(db);
    return {
      consumers: [sessionsConsumer(sessions, config.ANALYTICS_SESSION_GAP_MINUTES * 60_000)],
      routes: [{ plugin: analyticsRoutes, options: { sessions, events: store.events } }, { plugin: journeyRoutes, options: { sessions, events: store.events } }],
      privacy: {
        eraseUser: (tenantId, userId) => sessions.eraseUser(tenantId, userId),
        exportUser: async (tenantId, userId) => ({ sessions: await sessions.ofUser(tenantId, userId) }),
      },
      api: sessions,
    };
  },
});
