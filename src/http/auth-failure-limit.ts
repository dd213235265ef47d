/**
 * Limits failed authentications per client address (AUTH_FAILURES_PER_MINUTE; IPv6 per /64), in
 * the same counter store as the other limits (Redis when REDIS_URL is set, memory otherwise). Every
 * AUTH_INVALID answer counts, wherever it was raised (the auth plugin, the Segment routes' body
 * write key, stream tokens), and so does a Segment request without any credentials; once an
 * address is over the limit, its requests to the API get 429 RATE_LIMITED with `retry-after`
 * before any credential is looked up. Register it after
 * `@fastify/rate-limit` and before the auth plugin (its onRequest hook must run first).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { LRUCache } from 'lru-cache';
import { AppError, isAppError } from '../platform/errors.js';

export interface AuthFailureLimitOptions {
  /** Failed authentications per window per client address. */
  max: number;
  /** Window length in milliseconds (default one minute). */
  timeWindowMs?: number;
}

/**
 * The address failures are counted for: IPv4 as is, IPv6 by its /64 network (one host usually
 * holds a whole /64, so single addresses would be free to rotate through).
 */
export function clientNetwork(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (!address.includes(':')) return address;
  const [head = '', tail = ''] = address.split('%')[0]!.split('::');
  const left = head ? head.split(':') : [];
  const right = address.includes('::') && tail ? tail.split(':') : [];
  const groups = [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return `${groups.slice(0, 4).map((g) => g.toLowerCase().replace(/^0+(?=.)/, '')).join(':')}::/64`;
}

/** Key under which an address's failed authentications are counted. */
export const authFailureKey = (address: string): string => `af:${clientNetwork(address)}`;

/** Routes that take credentials: the API under /v1 (health, metrics and docs are public). */
const takesCredentials = (request: FastifyRequest): boolean => Boolean(request.routeOptions.url?.startsWith('/v1'));

/**
 * Wrong credentials count; so do missing ones on the routes that read the body before they can
 * authenticate (the Segment routes, where the write key may be in the body).
 */
const isFailure = (request: FastifyRequest, code: string): boolean =>
  code === 'AUTH_INVALID' || (code === 'AUTH_MISSING' && Boolean(request.routeOptions.config.public) && takesCredentials(request));

export const authFailureLimit = fp(async (app: FastifyInstance, options: AuthFailureLimitOptions) => {
  const settings = Object.freeze({ timeWindowMs: 60_000, ...options });
  const limit = app.createRateLimit({
    max: settings.max,
    timeWindow: settings.timeWindowMs,
    keyGenerator: (request) => authFailureKey(request.ip),
    allowList: () => false, // not the global list: the Segment routes are "public" but take credentials
    skipOnError: true, // a counter store outage must not turn a 401 into a 500
  });
  // Addresses that failed through this process recently: only those are looked up in the store
  // before authenticating, so a request with good credentials costs no extra round trip.
  const suspects = new LRUCache<string, true>({ max: 50_000, ttl: settings.timeWindowMs });

  app.addHook('onRequest', async (request, reply) => {
    if (!takesCredentials(request) || !suspects.has(clientNetwork(request.ip))) return;
    const spent = await limit(request, { increment: false });
    if (spent.isAllowed || spent.remaining > 0) return;
    const retryAfter = Math.max(1, spent.ttlInSeconds);
    reply.header('retry-after', String(retryAfter));
    throw new AppError('RATE_LIMITED', {
      detail: `${settings.max} failed authentications from this address in ${Math.round(settings.timeWindowMs / 1000)} s; retry in ${retryAfter} s`,
      details: { scope: 'auth-failures' },
    });
  });
  app.addHook('onError', async (request, _reply, error) => {
    if (!isAppError(error) || !isFailure(request, error.code)) return;
    suspects.set(clientNetwork(request.ip), true);
    await limit(request);
  });
}, { name: 'auth-failure-limit', dependencies: ['@fastify/rate-limit'] });
