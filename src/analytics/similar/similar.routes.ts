/**
 * GET /v1/analytics/users/:userId/similar: the people whose behaviour is nearest the person's,
 * from the `analytics-similar` projection (a moment behind the log). Embeds nothing: reads the
 * person's stored vector, asks the search index's `_people` collection for the nearest (cosine)
 * as candidates, ranks them (similar.rank.ts: with intents when the categorizer is there) and
 * says for each what the two share from their profiles. Admins only: the answer names
 * other end users and their habits, which a member must not learn (403 for members).
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { ProblemSchema } from '../../http/problem.js';
import { AppError } from '../../platform/errors.js';
import { MAX_ID_LENGTH } from '../../platform/ids.js';
import type { SearchIndex } from '../../ports/search-index.port.js';
import { PEOPLE_COLLECTION } from './similar.consumer.js';
import { rank, type IntentCounts } from './similar.rank.js';
import type { SimilarStore } from './similar.store.js';
import { sharedOf } from './similar.vector.js';

/** Shared keys named per kind and result. */
export const SHARED_PER_KIND = 5;
/**
 * Candidates taken from the index beyond `limit` for the ranking with intents to reorder (each
 * costs one read of the categorizer; without intents the index's order is the ranking's).
 */
export const EXTRA_CANDIDATES = 5;

const Params = Type.Object({ userId: Type.String({ minLength: 1, maxLength: MAX_ID_LENGTH }) });
const SharedKey = Type.Object({
  key: Type.String(),
  userShare: Type.Number({ description: 'share of the key among the asked person\'s events (or intents)' }),
  otherShare: Type.Number({ description: 'share of the key among the similar person\'s' }),
});
const Item = Type.Object({
  userId: Type.String(),
  score: Type.Number({ description: 'cosine similarity of the two behaviour vectors' }),
  shared: Type.Object({ types: Type.Array(SharedKey), categories: Type.Array(SharedKey), intents: Type.Array(SharedKey) }),
});

export interface SimilarRouteOptions { store: SimilarStore; index: SearchIndex; intents?: IntentCounts }

export async function similarRoutes(fastify: FastifyInstance, options: SimilarRouteOptions): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.get('/analytics/users/:userId/similar', {
    schema: {
      tags: ['analytics'], summary: 'People of the tenant whose behaviour is most like the person\'s, with what they share (admins only)',
      params: Params,
      querystring: Type.Object({ limit: Type.Integer({ minimum: 1, maximum: 50, default: 10 }) }, { additionalProperties: false }),
      response: { 200: Type.Object({ userId: Type.String(), items: Type.Array(Item) }), 400: ProblemSchema, 403: ProblemSchema, 404: ProblemSchema },
    },
  }, async (request) => {
    if (request.principal.role !== 'admin') {
      throw new AppError('AUTH_FORBIDDEN_ROLE', { detail: 'similar people name other users and their habits: only an admin of the tenant may ask' });
    }
    const tenantId = request.principal.tenant.id;
    const { userId } = request.params;
    const { limit } = request.query;
    const [self] = await options.store.persons(tenantId, [userId]);
    if (!self) throw new AppError('NOT_FOUND', { detail: `no behaviour recorded for user ${userId} (yet)` });
    const hits = await options.index.search({ tenantId, collection: PEOPLE_COLLECTION, query: '', vector: self.vector, mode: 'dense', limit: limit + (options.intents ? EXTRA_CANDIDATES : 0) + 1 });
    // Only persons the projection still holds (an erased one may linger in the index until its delete went through).
    const candidates = await options.store.persons(tenantId, hits.map((h) => h.documentId).filter((id) => id !== userId));
    const ranked = await rank(self, candidates, limit, options.intents);
    return {
      userId,
      items: ranked.items.map((r) => ({ userId: r.userId, score: r.score, shared: sharedOf(ranked.self, r.profile, SHARED_PER_KIND) })),
    };
  });
}
