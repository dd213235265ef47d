/**
 * POST /v1/search and POST /v1/answer (JSON, or streamed as Server-Sent Events). Both search
 * within the caller's view (member-view.ts) and are tracked, rejected calls included.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type, type Static } from 'typebox';
import { ProblemSchema } from '../../http/problem.js';
import type { Principal } from '../../identity/principal.js';
import type { Role } from '../../ports/store.port.js';
import { CollectionName } from '../collections/collection.schemas.js';
import { checkFilterSize } from './filter.limits.js';
import type { Filter } from '../../ports/search-filter.js';
import { FilterSchema } from './filter.schema.js';
import type { AnswerService } from './answer.service.js';
import { citationsOf, streamAnswer } from './answer-stream.js';
import type { SearchRequest, SearchService } from './search.service.js';

const SEARCH_ROLES: readonly Role[] = ['admin', 'member'];
const QUERY_MAX_LENGTH = 2000;
const COLLECTIONS_MAX = 20;

export const SearchBodySchema = Type.Object({
  query: Type.String({ minLength: 1, maxLength: QUERY_MAX_LENGTH }),
  collections: Type.Array(CollectionName, { minItems: 1, maxItems: COLLECTIONS_MAX }),
  filter: Type.Optional(FilterSchema),
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 10 }),
  mode: Type.Union([Type.Literal('hybrid'), Type.Literal('lexical'), Type.Literal('dense')], { default: 'hybrid' }),
}, { additionalProperties: false });
type SearchBody = Static<typeof SearchBodySchema>;

const HitSchema = Type.Object({
  chunkId: Type.String(), documentId: Type.String(), collection: Type.String(), score: Type.Number(), text: Type.String(),
  highlight: Type.String({ description: 'Snippet with <mark> around matched terms (HTML-escaped)' }),
  metadata: Type.Record(Type.String(), Type.Unknown()), sourceEventId: Type.String(),
});

const AnswerBodySchema = Type.Object({
  ...SearchBodySchema.properties,
  limit: Type.Integer({ minimum: 1, maximum: 20, default: 6 }),
  stream: Type.Boolean({ default: false, description: 'Stream as Server-Sent Events: sources, delta…, done' }),
}, { additionalProperties: false });

const CitationSchema = Type.Object({ n: Type.Integer(), chunkId: Type.String(), documentId: Type.String(), collection: Type.String(), sourceEventId: Type.String() });
const AnswerSchema = Type.Object({
  answer: Type.String(), citations: Type.Array(CitationSchema), sources: Type.Array(HitSchema),
  generator: Type.String(), model: Type.String(),
  degraded: Type.Boolean({ description: 'True when the configured generator failed and the answer is extractive' }),
  degradedReason: Type.Union([Type.String(), Type.Null()]),
});

/** Every search runs as the caller: their role and user decide the view. */
const toRequest = (principal: Principal, body: SearchBody): SearchRequest => ({
  tenantId: principal.tenant.id, viewer: { role: principal.role, userId: principal.userId },
  query: body.query, collections: body.collections, filter: body.filter as Filter | undefined, limit: body.limit, mode: body.mode,
});

/** Bounds the filter before the schema (a deeply nested filter would cost validation and translation). */
async function filterFirst(request: FastifyRequest): Promise<void> {
  const body = request.body;
  if (body !== null && typeof body === 'object' && !Array.isArray(body)) checkFilterSize((body as { filter?: unknown }).filter);
}

/**
 * What a tracked call asked for, read from the body as sent (it may have failed validation):
 * only well-formed, bounded values, so recording a rejected call can never fail.
 */
export function requestedSearch(request: FastifyRequest): Record<string, unknown> {
  const body = (request.body !== null && typeof request.body === 'object' ? request.body : {}) as Record<string, unknown>;
  const query = typeof body.query === 'string' && body.query.length > 0 ? body.query.slice(0, QUERY_MAX_LENGTH) : undefined;
  const collections = Array.isArray(body.collections)
    ? body.collections.slice(0, COLLECTIONS_MAX).filter((c): c is string => typeof c === 'string').map((c) => c.slice(0, 64))
    : undefined;
  return { ...(query === undefined ? {} : { query }), ...(collections === undefined ? {} : { collections }) };
}

export async function searchRoutes(fastify: FastifyInstance, options: { search: SearchService; answers: AnswerService }): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

  app.post('/search', {
    config: { roles: SEARCH_ROLES, track: { type: 'search.performed', data: requestedSearch } },
    preValidation: filterFirst,
    schema: {
      tags: ['search'], summary: 'Search collections (hybrid BM25 + vector by default), with metadata filters; members search within their view', body: SearchBodySchema,
      response: { 200: Type.Object({ items: Type.Array(HitSchema), mode: Type.String(), cached: Type.Boolean() }), 400: ProblemSchema, 404: ProblemSchema },
    },
  }, async (request) => {
    const result = await options.search.search(toRequest(request.principal, request.body));
    request.trackData = { query: request.body.query, collections: request.body.collections, mode: result.mode, resultIds: result.items.map((i) => i.documentId), cached: result.cached };
    return result;
  });

  app.post('/answer', {
    config: { roles: SEARCH_ROLES, track: { type: 'answer.generated', data: requestedSearch } },
    preValidation: filterFirst,
    schema: { tags: ['search'], summary: 'Answer a question from collections, citing chunks as [n]; members get answers from their view only', body: AnswerBodySchema, response: { 200: AnswerSchema, 400: ProblemSchema, 404: ProblemSchema } },
  }, async (request, reply) => {
    const searchRequest = toRequest(request.principal, request.body);
    if (request.body.stream) return streamAnswer(request, reply, (signal) => options.answers.stream(searchRequest, signal));
    const result = await options.answers.answer(searchRequest);
    const citations = citationsOf(result.answer.citations, result.sources);
    request.trackData = { query: request.body.query, citations: citations.map((c) => c.documentId), generator: result.answer.generator, degraded: result.degraded };
    return {
      answer: result.answer.text, citations, sources: result.sources, generator: result.answer.generator, model: result.answer.model,
      degraded: result.degraded, degradedReason: result.degradedReason,
    };
  });
}
