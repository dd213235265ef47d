/**
 * The worker role's HTTP server: only `/health/live`, `/health/ready` and `/metrics`, so an
 * orchestrator can probe worker processes and Prometheus can scrape them. No API, no auth.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { Logger } from '../platform/logger.js';
import type { Metrics } from '../platform/metrics.js';
import { coalesce } from './coalesce.js';
import { errorsPlugin } from './errors.plugin.js';
import { healthRoutes, type HealthCheck } from './health.routes.js';
import { metricsPlugin } from './metrics.plugin.js';

export interface OpsServerDeps {
  logger: Logger;
  metrics: Metrics;
  health: HealthCheck;
  /** Refreshes gauges (consumer lag) before each scrape. */
  beforeScrape?: () => Promise<void>;
}

/** Builds (does not start) the health and metrics server of a worker process. */
export async function buildOpsServer(deps: OpsServerDeps): Promise<FastifyInstance> {
  const app = Fastify({ loggerInstance: deps.logger, forceCloseConnections: true });
  await app.register(errorsPlugin);
  await app.register(metricsPlugin, { metrics: deps.metrics, beforeScrape: deps.beforeScrape && coalesce(deps.beforeScrape) });
  await app.register(healthRoutes, { health: coalesce(deps.health) });
  return app as unknown as FastifyInstance;
}
