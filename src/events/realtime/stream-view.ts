/** What one realtime stream may see: its tenant, its types and, for members, only their own user. */
import type { FastifyRequest } from 'fastify';
import { scopedUser } from '../../http/auth.plugin.js';
import { AppError } from '../../platform/errors.js';

export interface StreamView {
  types: string[];
  /** Only events of this user; undefined = the whole tenant (admins only). */
  userId: string | undefined;
}

/** Most type patterns one stream may ask for. */
export const MAX_STREAM_TYPES = 32;

/**
 * The view of a stream request. Members always get their own user id (events of other users and
 * events without a user are never theirs); asking for another user is 403 AUTH_FORBIDDEN_USER.
 */
export function streamViewOf(request: FastifyRequest): StreamView {
  const query = request.query as { types?: string; userId?: string };
  const types = query.types?.split(',').map((t) => t.trim()).filter(Boolean) ?? [];
  if (types.length > MAX_STREAM_TYPES) {
    throw new AppError('VALIDATION_FAILED', { detail: `at most ${MAX_STREAM_TYPES} type patterns per stream`, errors: [{ pointer: '/types', detail: `more than ${MAX_STREAM_TYPES} patterns` }] });
  }
  const { principal } = request;
  const userId = scopedUser(principal, query.userId);
  if (principal.role === 'member' && userId === undefined) {
    throw new AppError('AUTH_FORBIDDEN_USER', { detail: 'a member key without a user id cannot open a stream' });
  }
  return { types: types.length > 0 ? types : ['*'], userId };
}
