/**
 * Authenticates every non-public route and checks its roles. Credentials: `Authorization:
 * Bearer <api key | JWT>`, or HTTP Basic with the key as user name (what Segment clients send).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Authenticator } from '../identity/authenticator.js';
import type { Principal } from '../identity/principal.js';
import { AppError } from '../platform/errors.js';
import type { Role } from '../ports/store.port.js';

export const READ_ROLES: readonly Role[] = ['admin', 'member'];
export const ADMIN_ONLY: readonly Role[] = ['admin'];
export const WRITE_EVENT_ROLES: readonly Role[] = ['admin', 'ingest', 'member'];

async function principalOf(request: FastifyRequest, authenticator: Authenticator): Promise<Principal> {
  const header = request.headers.authorization;
  const queryToken = (request.query as { access_token?: unknown } | undefined)?.access_token;
  if (!header && request.routeOptions.config.queryToken && typeof queryToken === 'string') return authenticator.fromBearer(queryToken);
  if (!header) throw new AppError('AUTH_MISSING', { detail: 'send Authorization: Bearer <api key or JWT>' });
  const [scheme, value = ''] = header.split(' ', 2);
  if (scheme?.toLowerCase() === 'bearer' && value) return authenticator.fromBearer(value.trim());
  if (scheme?.toLowerCase() === 'basic' && value) {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const user = decoded.slice(0, decoded.includes(':') ? decoded.indexOf(':') : undefined);
    if (user) return authenticator.fromApiKey(user);
  }
  throw new AppError('AUTH_INVALID', { detail: 'unsupported Authorization scheme' });
}

export const authPlugin = fp(async (app: FastifyInstance, options: { authenticator: Authenticator }) => {
  app.decorateRequest('principal', null as unknown as Principal);
  app.addHook('onRequest', async (request) => {
    const config = request.routeOptions.config;
    const url = request.routeOptions.url;
    // Only the API under /v1 takes credentials; health, metrics and docs are public.
    if (config.public || !url?.startsWith('/v1')) return;
    const principal = await principalOf(request, options.authenticator);
    const roles = config.roles ?? READ_ROLES;
    if (!roles.includes(principal.role)) {
      throw new AppError('AUTH_FORBIDDEN_ROLE', { detail: `role ${principal.role} may not call ${request.method} ${request.routeOptions.url}` });
    }
    request.principal = principal;
  });
}, { name: 'auth' });

/** The user a request may read: members only their own; admins whichever they ask for. */
export function scopedUser(principal: Principal, requested: string | undefined): string | undefined {
  if (principal.role !== 'member') return requested;
  if (requested !== undefined && requested !== principal.userId) {
    throw new AppError('AUTH_FORBIDDEN_USER', { detail: 'a member may only read their own data' });
  }
  return principal.userId ?? undefined;
}
