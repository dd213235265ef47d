/** The event catalog over HTTP: list and read types; admins register their own. */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { ADMIN_ONLY } from '../../http/auth.plugin.js';
import { ProblemSchema } from '../../http/problem.js';
import { AppError } from '../../platform/errors.js';
import { EVENT_TYPE_PATTERN } from './builtin-types.js';
import type { CatalogService } from './catalog.service.js';

const CatalogTypeSchema = Type.Object({
  type: Type.String(),
  category: Type.String(),
  description: Type.String(),
  origin: Type.Union([Type.Literal('built-in'), Type.Literal('registered')]),
  schema: Type.Record(Type.String(), Type.Unknown()),
});

const TypeParams = Type.Object({ type: Type.String({ minLength: 1, maxLength: 128 }) });

const RegisterSchema = Type.Object({
  type: Type.String({ pattern: EVENT_TYPE_PATTERN, maxLength: 128 }),
  category: Type.String({ minLength: 1, maxLength: 64 }),
  description: Type.String({ maxLength: 1000, default: '' }),
  schema: Type.Record(Type.String(), Type.Unknown(), { description: 'JSON Schema for the event data (limits: docs/ingest.md, "Event catalog")' }),
}, { additionalProperties: false });

/** Registrations per minute per principal (each compiles a schema). */
export const REGISTRATIONS_PER_MINUTE = 60;

/** Room for category and description around the largest schema accepted. */
const BODY_MARGIN_BYTES = 8 * 1024;

export async function catalogRoutes(fastify: FastifyInstance, options: { catalog: CatalogService }): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { catalog } = options;

  app.get('/catalog/types', {
    schema: { tags: ['catalog'], summary: 'Built-in and registered event types', response: { 200: Type.Object({ items: Type.Array(CatalogTypeSchema) }) } },
  }, async (request) => ({ items: await catalog.list(request.principal.tenant.id) }));

  app.get('/catalog/types/:type', {
    schema: { tags: ['catalog'], summary: 'One event type', params: TypeParams, response: { 200: CatalogTypeSchema, 404: ProblemSchema } },
  }, async (request) => {
    const entry = await catalog.get(request.principal.tenant.id, request.params.type);
    if (!entry) throw new AppError('NOT_FOUND', { detail: `no event type ${request.params.type}` });
    return entry;
  });

  app.put('/catalog/types/:type', {
    // Compiling a schema costs a worker thread up to its compile limit: registrations are paced.
    config: { roles: ADMIN_ONLY, rateLimit: { max: REGISTRATIONS_PER_MINUTE, timeWindow: 60_000 } },
    bodyLimit: catalog.schemaMaxBytes + BODY_MARGIN_BYTES,
    schema: {
      tags: ['catalog'], summary: 'Register or replace a custom event type', params: TypeParams,
      body: Type.Omit(RegisterSchema, ['type']), response: { 200: CatalogTypeSchema, 409: ProblemSchema, 413: ProblemSchema, 422: ProblemSchema },
    },
  }, async (request) => catalog.register(request.principal.tenant.id, { ...request.body, type: request.params.type, description: request.body.description ?? '' }));

  app.delete('/catalog/types/:type', {
    config: { roles: ADMIN_ONLY },
    schema: { tags: ['catalog'], summary: 'Remove a custom event type', params: TypeParams, response: { 204: Type.Null(), 404: ProblemSchema, 409: ProblemSchema } },
  }, async (request, reply) => {
    if (!(await catalog.remove(request.principal.tenant.id, request.params.type))) throw new AppError('NOT_FOUND', { detail: `no registered type ${request.params.type}` });
    return reply.status(204).send(null);
  });
}
