/** Liveness and readiness. Ready means every backing service answers and migrations are current. */
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';

export type HealthCheck = () => Promise<Record<string, { ok: boolean; detail?: string }>>;

const ComponentSchema = Type.Object({ ok: Type.Boolean(), detail: Type.Optional(Type.String()) });

export async function healthRoutes(app: FastifyInstance, options: { health: HealthCheck }): Promise<void> {
  app.get('/health/live', {
    config: { public: true },
    schema: { tags: ['health'], summary: 'The process is up', response: { 200: Type.Object({ status: Type.Literal('ok') }) } },
  }, async () => ({ status: 'ok' as const }));

  app.get('/health/ready', {
    config: { public: true },
    schema: {
      tags: ['health'], summary: 'Store reachable, migrations current, publisher connected (where it runs)',
      response: { 200: Type.Object({ status: Type.String(), components: Type.Record(Type.String(), ComponentSchema) }), 503: Type.Object({ status: Type.String(), components: Type.Record(Type.String(), ComponentSchema) }) },
    },
  }, async (_request, reply) => {
    const components = await options.health();
    const ok = Object.values(components).every((c) => c.ok);
    return reply.status(ok ? 200 : 503).send({ status: ok ? 'ok' : 'unavailable', components });
  });
}
