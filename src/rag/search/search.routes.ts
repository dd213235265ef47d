/** POST /v1/search and POST /v1/answer (JSON, or streamed as Server-Sent Events). */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from 'typebox';
import { ProblemSchema } from '../../http/problem.js';
import type { Role } from '../../ports/store.port.js';
import { FilterSchema, type Filter } from '../filter.schema.js';
import type { AnswerService } from './answer.service.js';
import type { SearchResultItem, SearchService } from './search.service.js';

const SEARCH_ROLES: readonly Role[] = ['admin', 'member'];

export const SearchBodySchema = Type.Object({
  query: Type.String({ minLength: 1, maxLength: 2000 }),
  collections: Type.Array(Type.String({ minLength: 1 }), { minItems: 1, maxItems: 20 }),
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

function citationsOf(citations: Array<{ n: number; chunkId: string; documentId: string }>, sources: SearchResultItem[]) {
  return citations.map((c) => {
    const source = sources[c.n - 1];
    return { ...c, collection: source?.collection ?? '', sourceEventId: source?.sourceEventId ?? '' };
  });
}

const toRequest = (tenantId: string, body: SearchBody) => ({ tenantId, query: body.query, collections: body.collections, filter: body.filter as Filter | undefined, limit: body.limit, mode: body.mode });

export async function searchRoutes(fastify: FastifyInstance, options: { search: SearchService; answers: AnswerService }): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

  app.post('/search', {
    config: { roles: SEARCH_ROLES, track: { type: 'search.performed' } },
    schema: {
      tags: ['search'], summary: 'Search collections (hybrid BM25 + vector by default), with metadata filters', body: SearchBodySchema,
      response: { 200: Type.Object({ items: Type.Array(HitSchema), mode: Type.String(), cached: Type.Boolean() }), 400: ProblemSchema, 404: ProblemSchema },
    },
  }, async (request) => {
    const result = await options.search.search(toRequest(request.principal.tenant.id, request.body));
    request.trackData = { query: request.body.query, collections: request.body.collections, mode: result.mode, resultIds: result.items.map((i) => i.documentId), cached: result.cached };
    return result;
  });

  app.post('/answer', {
    config: { roles: SEARCH_ROLES, track: { type: 'answer.generated' } },
    schema: { tags: ['search'], summary: 'Answer a question from collections, citing chunks as [n]', body: AnswerBodySchema, response: { 200: AnswerSchema, 400: ProblemSchema, 404: ProblemSchema } },
  }, async (request, reply) => {
    const searchRequest = toRequest(request.principal.tenant.id, request.body);
    if (!request.body.stream) {
      const result = await options.answers.answer(searchRequest);
      const citations = citationsOf(result.answer.citations, result.sources);
      request.trackData = { query: request.body.query, citations: citations.map((c) => c.documentId), generator: result.answer.generator, degraded: result.degraded };
      return {
        answer: result.answer.text, citations, sources: result.sources, generator: result.answer.generator, model: result.answer.model,
        degraded: result.degraded, degradedReason: result.degradedReason,
      };
    }
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    const send = (event: string, data: unknown) => raw.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    let sources: SearchResultItem[] = [];
    let degraded: string | null = null;
    try {
      for await (const item of options.answers.stream(searchRequest)) {
        if (item.type === 'sources') { sources = item.sources; send('sources', { sources }); }
        else if (item.type === 'degraded') { degraded = item.reason; send('degraded', { reason: item.reason }); }
        else if (item.type === 'delta') send('delta', { text: item.text });
        else send('done', { answer: item.answer.text, citations: citationsOf(item.answer.citations, sources), generator: item.answer.generator, model: item.answer.model, degraded: degraded !== null, degradedReason: degraded });
      }
    } catch (error) {
      send('error', { code: (error as { code?: string }).code ?? 'INTERNAL', detail: (error as Error).message });
    }
    request.trackData = { query: request.body.query, streamed: true, degraded: degraded !== null };
    raw.end();
  });
}
