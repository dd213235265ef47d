/** HTTP duration histogram by route and status, and the /metrics endpoint. */
import type {} from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Metrics } from '../platform/metrics.js';

export const metricsPlugin = fp(async (app: FastifyInstance, options: { metrics: Metrics; beforeScrape?: () => Promise<void> }) => {
  app.addHook('onResponse', async (request, reply) => {
    options.metrics.httpDuration.observe(
      { method: request.method, route: request.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });
  app.get('/metrics', { config: { public: true }, schema: { hide: true } }, async (_request, reply) => {
    await options.beforeScrape?.();
    return reply.type(options.metrics.registry.contentType).send(await options.metrics.registry.metrics());
  });
}, { name: 'metrics' });
