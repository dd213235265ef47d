/** The caller's tenant (settings) and its API keys. */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { ADMIN_ONLY, READ_ROLES, scopedUser } from '../http/auth.plugin.js';
import { ProblemSchema } from '../http/problem.js';
import { AppError } from '../platform/errors.js';
import type { ApiKeyRecord, Store, Tenant } from '../ports/store.port.js';
import type { Authenticator } from './authenticator.js';
import { createApiKey, MAX_ID_LENGTH, MAX_KEY_NAME_LENGTH } from './keys.service.js';

const UserIdSchema = Type.String({ minLength: 1, maxLength: MAX_ID_LENGTH });
const RoleSchema = Type.Union([Type.Literal('admin'), Type.Literal('ingest'), Type.Literal('member')]);
const TenantSchema = Type.Object({
  id: Type.String(), slug: Type.String(), name: Type.String(),
  settings: Type.Object({ strictTypes: Type.Boolean(), trackMapping: Type.Record(Type.String(), Type.String()) }),
  createdAt: Type.String({ format: 'date-time' }),
});
const KeySchema = Type.Object({
  id: Type.String(), role: RoleSchema, userId: Type.Union([Type.String(), Type.Null()]), name: Type.Union([Type.String(), Type.Null()]),
  prefix: Type.String(), createdAt: Type.String({ format: 'date-time' }), revokedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});

const tenantJson = (t: Tenant) => ({ ...t, createdAt: new Date(t.createdAt).toISOString() });
const keyJson = (k: ApiKeyRecord) => ({
  id: k.id, role: k.role, userId: k.userId, name: k.name, prefix: k.prefix,
  createdAt: new Date(k.createdAt).toISOString(), revokedAt: k.revokedAt === null ? null : new Date(k.revokedAt).toISOString(),
});

export async function identityRoutes(fastify: FastifyInstance, options: { store: Store; authenticator: Authenticator }): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { store } = options;

  app.get('/tenant', { config: { roles: READ_ROLES }, schema: { tags: ['identity'], summary: 'Your tenant', response: { 200: TenantSchema } } },
    async (request) => tenantJson(request.principal.tenant));

  app.patch('/tenant', {
    config: { roles: ADMIN_ONLY },
    schema: {
      tags: ['identity'], summary: 'Change tenant settings (strict event types, Segment track mapping)',
      body: Type.Object({
        strictTypes: Type.Optional(Type.Boolean()),
        // Bounded: the settings travel with every cached principal of the tenant.
        trackMapping: Type.Optional(Type.Record(Type.String({ minLength: 1, maxLength: 200 }), Type.String({ pattern: '^[a-z0-9][a-z0-9_.-]*$', maxLength: 128 }), { maxProperties: 500 })),
      }, { additionalProperties: false }),
      response: { 200: TenantSchema },
    },
  }, async (request) => {
    const updated = await store.tenants.updateSettings(request.principal.tenant.id, request.body);
    options.authenticator.forgetKeys(); // cached principals carry the old settings
    return tenantJson(updated);
  });

  app.get('/keys', { config: { roles: ADMIN_ONLY }, schema: { tags: ['identity'], summary: 'API keys of your tenant (never the keys themselves)', response: { 200: Type.Object({ items: Type.Array(KeySchema) }) } } },
    async (request) => ({ items: (await store.apiKeys.list(request.principal.tenant.id)).map(keyJson) }));

  app.post('/keys', {
    config: { roles: ADMIN_ONLY },
    schema: {
      tags: ['identity'], summary: 'Create an API key (the key is shown once)',
      body: Type.Object({ role: RoleSchema, userId: Type.Optional(UserIdSchema), name: Type.Optional(Type.String({ maxLength: MAX_KEY_NAME_LENGTH })) }, { additionalProperties: false }),
      response: { 201: Type.Object({ key: Type.String(), ...KeySchema.properties }), 400: ProblemSchema },
    },
  }, async (request, reply) => {
    const created = await createApiKey(store, { tenantId: request.principal.tenant.id, role: request.body.role, userId: request.body.userId, name: request.body.name });
    return reply.status(201).send({ key: created.key, ...keyJson(created.record) });
  });

  app.delete('/keys/:id', {
    config: { roles: ADMIN_ONLY },
    schema: { tags: ['identity'], summary: 'Revoke an API key', params: Type.Object({ id: Type.String({ minLength: 1, maxLength: MAX_ID_LENGTH }) }), response: { 204: Type.Null(), 404: ProblemSchema } },
  }, async (request, reply) => {
    if (!(await store.apiKeys.revoke(request.principal.tenant.id, request.params.id))) throw new AppError('NOT_FOUND', { detail: `no active key ${request.params.id}` });
    options.authenticator.forgetKeys();
    return reply.status(204).send(null);
  });

}
