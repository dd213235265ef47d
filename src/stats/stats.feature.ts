/**
 * The stats feature: hourly event counts per tenant and type (table `event_counts`, created by
 * backbone migration 001 and kept under its name), the `stats` projection that keeps them, and
 * GET /v1/events/stats.
 */
import { defineFeature } from '../feature.js';
import { statsConsumer } from './stats.consumer.js';
import { statsRoutes } from './stats.routes.js';
import { sqlStatsStore } from './stats.sql.js';
import type { StatsStore } from './stats.store.js';

export const statsFeature = defineFeature<StatsStore>({
  name: 'stats',
  setup({ db }) {
    const store = sqlStatsStore(db);
    return {
      consumers: [statsConsumer(store)],
      routes: [{ plugin: statsRoutes, options: { store } }],
      // Counts per tenant, type and hour carry no user id or event content: nothing to erase or export.
      privacy: { eraseUser: async () => 0, exportUser: async () => ({}) },
      api: store,
    };
  },
});
