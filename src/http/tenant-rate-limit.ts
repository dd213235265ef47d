/**
 * The per-tenant request limit, beside @fastify/rate-limit's per-principal one: every
 * authenticated request (every ingest route, Segment's included) also counts against its tenant,
 * in the same store (Redis when REDIS_URL is set, so the limit holds across API processes;
 * memory otherwise). Register it
 * after `@fastify/rate-limit` and the auth plugin; it answers 429 RATE_LIMITED with `retry-after`.
 */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { AppError } from '../platform/errors.js';

export interface TenantRateLimitOptions {
  /** Requests per window per tenant. */
  max: number;
  /** Window length in milliseconds (default one minute). */
  timeWindowMs?: number;
}

/** Key under which a tenant's requests are counted (the principal limit uses `p:<id>`). */
export const tenantLimitKey = (tenantId: string): string => `t:${tenantId}`;

export const tenantRateLimit = fp(async (app: FastifyInstance, options: TenantRateLimitOptions) => {
  const settings = Object.freeze({ timeWindowMs: 60_000, ...options });
  const limit = app.createRateLimit({
    max: settings.max,
    timeWindow: settings.timeWindowMs,
    keyGenerator: (request) => tenantLimitKey(request.principal.tenant.id),
    allowList: () => false, // not the global list: every request with a principal counts
  });
  // Runs for every route where a principal was found, including the Segment routes (marked public
  // because they authenticate in preValidation, from the body's write key).
  app.addHook('preHandler', async (request, reply) => {
    if (!request.principal) return;
    const result = await limit(request);
    if (result.isAllowed || !result.isExceeded) return;
    reply.header('retry-after', String(Math.max(1, result.ttlInSeconds)));
    throw new AppError('RATE_LIMITED', {
      detail: `tenant ${request.principal.tenant.slug} sent more than ${result.max} requests in ${Math.round(result.timeWindow / 1000)} s; retry in ${Math.max(1, result.ttlInSeconds)} s`,
      details: { scope: 'tenant' },
    });
  });
}, { name: 'tenant-rate-limit', dependencies: ['@fastify/rate-limit', 'auth'] });
