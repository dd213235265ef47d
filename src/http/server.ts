/** Builds the Fastify server: cross-cutting plugins, docs, health, and each feature's routes under /v1. */
import cors from '@fastify/cors';
import helmet from '@fastify/helmet';
import multipart from '@fastify/multipart';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import websocket from '@fastify/websocket';
import Fastify, { type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import type { Config } from '../config.js';
import type { Authenticator } from '../identity/authenticator.js';
import { AppError } from '../platform/errors.js';
import { newId } from '../platform/ids.js';
import type { Logger } from '../platform/logger.js';
import type { Metrics } from '../platform/metrics.js';
import { authFailureLimit } from './auth-failure-limit.js';
import { authPlugin } from './auth.plugin.js';
import { coalesce } from './coalesce.js';
import { errorsPlugin } from './errors.plugin.js';
import { healthRoutes, type HealthCheck } from './health.routes.js';
import { clientErrorHandler, frameworkError, MAX_PARAM_LENGTH, REQUEST_TIMEOUT_MS, trustProxyOption } from './http-edges.js';
import { finiteNumbersPlugin } from './finite-numbers.js';
import { jsonBodyPlugin } from './json-body.js';
import { metricsPlugin } from './metrics.plugin.js';
import { tenantRateLimit } from './tenant-rate-limit.js';
import { trackingPlugin, type Tracker } from './tracking.plugin.js';

export interface ServerDeps {
  config: Config;
  logger: Logger;
  metrics: Metrics;
  authenticator: Authenticator;
  tracker: Tracker;
  health: HealthCheck;
  /** Rate-limit counter store (Redis in the scale-out shape); in memory when absent. */
  rateLimitRedis?: unknown;
  beforeScrape?: () => Promise<void>;
  /** Feature route plugins, registered under /v1. */
  features: Array<{ plugin: FastifyPluginAsync<any>; options: object }>;
}

/** A client's `x-request-id`, when usable: visible ASCII only, at most 128 characters; else a new id. */
function requestIdOf(header: string | string[] | undefined): string {
  const cleaned = typeof header === 'string' ? header.replace(/[^\x21-\x7e]/g, '').slice(0, 128) : '';
  return cleaned || newId();
}

export async function buildServer(deps: ServerDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger,
    genReqId: (req) => requestIdOf(req.headers['x-request-id']),
    bodyLimit: deps.config.BATCH_MAX_BYTES,
    ajv: { customOptions: { coerceTypes: 'array', removeAdditional: false, useDefaults: true, allowUnionTypes: true } },
    forceCloseConnections: true,
    return503OnClosing: false, // answered below as problem+json SHUTTING_DOWN instead of Fastify's plain 503
    requestTimeout: REQUEST_TIMEOUT_MS,
    trustProxy: trustProxyOption(deps.config.TRUST_PROXY),
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    frameworkErrors: frameworkError,
    clientErrorHandler: clientErrorHandler(deps.logger),
  });
  await app.register(errorsPlugin);
  let closing = false;
  app.addHook('preClose', async () => { closing = true; });
  app.addHook('onRequest', async (_request, reply) => {
    if (!closing) return;
    reply.header('connection', 'close').header('retry-after', '1');
    throw new AppError('SHUTTING_DOWN', { detail: 'this server is stopping; retry against another instance' });
  });
  await app.register(jsonBodyPlugin, { maxDepth: deps.config.REQUEST_MAX_DEPTH });
  await app.register(helmet, { contentSecurityPolicy: false, global: true });
  // strictPreflight off: an OPTIONS request without CORS headers gets 204 instead of a text/plain 400.
  await app.register(cors, { origin: true, exposedHeaders: ['x-request-id', 'retry-after'], strictPreflight: false });
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'eventrag', version: '0.1.0', description: 'Event-driven RAG server: events in, fresh search, memory, analytics and workflows out.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' }, basic: { type: 'http', scheme: 'basic' } } },
      security: [{ bearer: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { docExpansion: 'list' } });
  await app.register(websocket, { options: { maxPayload: 64 * 1024 } });
  await app.register(multipart, { limits: { fileSize: deps.config.UPLOAD_MAX_BYTES, files: 20, fields: 20, fieldSize: 1024, parts: 40 } });
  await app.register(metricsPlugin, { metrics: deps.metrics, beforeScrape: deps.beforeScrape && coalesce(deps.beforeScrape) });
  await app.register(rateLimit, {
    global: true,
    hook: 'preHandler', // after authentication, so the limit is per principal
    max: deps.config.RATE_LIMIT_PER_MINUTE,
    timeWindow: 60_000,
    keyGenerator: (request) => (request.principal ? `p:${request.principal.id}` : `ip:${request.ip}`),
    allowList: (request) => Boolean(request.routeOptions.config.public),
    ...(deps.rateLimitRedis ? { redis: deps.rateLimitRedis, nameSpace: `${deps.config.REDIS_KEY_PREFIX}rl:` } : {}),
  });
  await app.register(authFailureLimit, { max: deps.config.AUTH_FAILURES_PER_MINUTE }); // before auth: its check runs first
  await app.register(authPlugin, { authenticator: deps.authenticator });
  await app.register(trackingPlugin, { tracker: deps.tracker });
  await app.register(tenantRateLimit, { max: deps.config.TENANT_RATE_LIMIT_PER_MINUTE });
  await app.register(finiteNumbersPlugin); // after the rate limits, which count every call
  await app.register(healthRoutes, { health: coalesce(deps.health) });
  await app.register(async (v1) => {
    for (const feature of deps.features) await v1.register(feature.plugin, feature.options);
  }, { prefix: '/v1' });
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  return app as unknown as FastifyInstance;
}
