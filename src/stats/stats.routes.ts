/** GET /v1/events/stats: a tenant's event counts per type and hour, as the stats projection holds them. */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { ADMIN_ONLY } from '../http/auth.plugin.js';
import { instant } from '../http/instants.js';
import { HOUR_MS, type StatsStore } from './stats.store.js';

export async function statsRoutes(fastify: FastifyInstance, options: { store: StatsStore }): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.get('/events/stats', {
    config: { roles: ADMIN_ONLY },
    schema: {
      tags: ['operations'], summary: 'Event counts per type and hour (kept by the stats consumer)',
      querystring: Type.Object({ from: Type.Optional(Type.String({ format: 'date-time' })), to: Type.Optional(Type.String({ format: 'date-time' })) }),
      response: { 200: Type.Object({ items: Type.Array(Type.Object({ type: Type.String(), hour: Type.String({ format: 'date-time' }), count: Type.Integer() })) }) },
    },
  }, async (request) => {
    const to = request.query.to ? instant(request.query.to, '/to') : Date.now() + HOUR_MS;
    const from = request.query.from ? instant(request.query.from, '/from') : to - 7 * 24 * HOUR_MS;
    const rows = await options.store.totals(request.principal.tenant.id, from, to);
    return { items: rows.map((r) => ({ type: r.type, hour: new Date(r.hour).toISOString(), count: r.count })) };
  });
}
