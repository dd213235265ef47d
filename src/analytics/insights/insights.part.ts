/**
 * The tenant insights part of the analytics feature: routes only. It keeps no rows of its own
 * (it reads the `analytics_events` projection), so it has no consumer and no privacy hooks.
 */
import type { FeatureContext } from '../../feature.js';
import type { AnalyticsPart } from '../analytics.feature.js';
import { insightsRoutes } from './insights.routes.js';
import { sqlInsightsSource } from './insights.sql.js';

export function insightsPart({ db, dialect }: FeatureContext): AnalyticsPart {
  return { routes: [{ plugin: insightsRoutes, options: { source: sqlInsightsSource(db, dialect) } }] };
}
