/** GET /v1/users/:userId/traits: a user's traits as the identity projection holds them. */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { scopedUser } from '../../http/auth.plugin.js';
import { ProblemSchema } from '../../http/problem.js';
import { AppError } from '../../platform/errors.js';
import { MAX_ID_LENGTH } from '../../platform/ids.js';
import type { ProfileStore } from './profile.store.js';

const UserIdSchema = Type.String({ minLength: 1, maxLength: MAX_ID_LENGTH });

export async function profileRoutes(fastify: FastifyInstance, options: { store: ProfileStore }): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.get('/users/:userId/traits', {
    schema: {
      tags: ['identity'], summary: 'Traits of a user (from Segment identify; kept by the identity consumer, so a moment behind the log)',
      params: Type.Object({ userId: UserIdSchema }),
      response: { 200: Type.Object({ userId: Type.String(), traits: Type.Record(Type.String(), Type.Unknown()) }), 404: ProblemSchema },
    },
  }, async (request) => {
    const userId = scopedUser(request.principal, request.params.userId)!;
    const traits = await options.store.traits(request.principal.tenant.id, userId);
    if (!traits) throw new AppError('NOT_FOUND', { detail: `no traits for user ${userId}` });
    return { userId, traits };
  });
}
