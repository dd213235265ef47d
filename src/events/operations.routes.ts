/** The operations API: browse the log, inspect deliveries and consumers, replay, retry dead letters. */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { ADMIN_ONLY, scopedUser } from '../http/auth.plugin.js';
import { ProblemSchema } from '../http/problem.js';
import { AppError } from '../platform/errors.js';
import { instant } from '../http/instants.js';
import type { Delivery, EventRecord, EventSelection } from '../ports/events.types.js';
import type { Store } from '../ports/store.port.js';
import type { ConsumerRegistry } from './consumers/consumer.registry.js';
import type { ConsumerStatus } from './consumers/consumer-status.js';
import { ConsumerSchema, DeliverySchema, EventListQuerySchema, EventSchema, ReplayBodySchema, type EventAnnotations } from './events.schemas.js';
import type { ReplayService } from './replay.service.js';

export interface OperationsRoutesOptions {
  store: Store;
  registry: ConsumerRegistry;
  status: ConsumerStatus;
  replay: ReplayService;
  /** What the features add to the events shown (FeatureHost.annotateEvents); none when absent. */
  annotate?: (tenantId: string, eventIds: string[]) => Promise<Map<string, EventAnnotations>>;
}

const iso = (ms: number) => new Date(ms).toISOString();

export function eventToJson(event: EventRecord) {
  return {
    id: event.id, specversion: '1.0' as const, type: event.type, source: event.source, subject: event.subject,
    time: iso(event.time), receivedAt: iso(event.receivedAt), userId: event.userId, sessionId: event.sessionId,
    category: event.category, sourceApp: event.sourceApp, idempotencyKey: event.idempotencyKey, senderRole: event.senderRole, data: event.data,
  };
}

function deliveryToJson(d: Delivery) {
  return {
    consumer: d.consumer, status: d.status, attempts: d.attempts, lastError: d.lastError,
    nextAttemptAt: d.nextAttemptAt === null ? null : iso(d.nextAttemptAt), updatedAt: iso(d.updatedAt),
  };
}

function toSelection(input: { from?: string; to?: string; types?: string[]; userId?: string }): EventSelection {
  const from = input.from === undefined ? undefined : instant(input.from, '/from');
  const to = input.to === undefined ? undefined : instant(input.to, '/to');
  if (from !== undefined && to !== undefined && from > to) {
    throw new AppError('VALIDATION_FAILED', { detail: '`from` is after `to`', errors: [{ pointer: '/from', detail: 'after to' }] });
  }
  return { from, to, types: input.types, userId: input.userId };
}

export async function operationsRoutes(fastify: FastifyInstance, options: OperationsRoutesOptions): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { store, status, replay } = options;
  const annotate = async (tenantId: string, events: EventRecord[]) =>
    (options.annotate && events.length > 0 ? options.annotate(tenantId, events.map((e) => e.id)) : new Map<string, EventAnnotations>());

  app.get('/events', {
    schema: {
      tags: ['operations'], summary: 'List events, newest first (members see their own)', querystring: EventListQuerySchema,
      response: { 200: Type.Object({ items: Type.Array(EventSchema), nextCursor: Type.Union([Type.String(), Type.Null()]) }) },
    },
  }, async (request) => {
    const q = request.query;
    const userId = scopedUser(request.principal, q.userId);
    const types = q.type?.split(',').map((t) => t.trim()).filter(Boolean);
    if (types && types.length > 100) throw new AppError('VALIDATION_FAILED', { detail: 'type lists at most 100 patterns', errors: [{ pointer: '/querystring/type', detail: 'more than 100 patterns' }] });
    const page = await store.events.list(request.principal.tenant.id, {
      ...toSelection({ from: q.from, to: q.to, types, userId }),
      deliveryStatus: q.status, consumer: q.consumer, cursor: q.cursor, limit: q.limit,
    });
    const notes = await annotate(request.principal.tenant.id, page.items);
    return { items: page.items.map((e) => ({ ...eventToJson(e), ...notes.get(e.id) })), nextCursor: page.nextCursor };
  });

  app.get('/events/:id', {
    schema: {
      tags: ['operations'], summary: 'One event with its deliveries', params: Type.Object({ id: Type.String() }),
      response: { 200: Type.Object({ ...EventSchema.properties, deliveries: Type.Array(DeliverySchema) }), 404: ProblemSchema },
    },
  }, async (request) => {
    const { id } = request.params;
    const event = await store.events.get(request.principal.tenant.id, id);
    const member = request.principal.role === 'member';
    if (!event || (member && event.userId !== request.principal.userId)) throw new AppError('NOT_FOUND', { detail: `no event ${id}` });
    const deliveries = member ? [] : await status.forEvent(event);
    const notes = await annotate(event.tenantId, [event]);
    return { ...eventToJson(event), ...notes.get(event.id), deliveries: deliveries.map(deliveryToJson) };
  });

  app.get('/consumers', {
    config: { roles: ADMIN_ONLY },
    schema: { tags: ['operations'], summary: 'Consumers with their positions, exceptions and lag (per partition)', response: { 200: Type.Object({ items: Type.Array(ConsumerSchema) }) } },
  }, async (request) => {
    const lags = await status.lag(request.principal.tenant.id);
    return {
      items: lags.map((l) => ({
        name: l.consumer.name, description: l.consumer.description, types: l.types, delivery: l.consumer.delivery,
        pending: l.pending, processing: 0, failed: l.failed, dead: l.dead, parked: l.parked, replaying: l.replaying,
        lagEvents: l.lagEvents, lagSeconds: l.lagSeconds,
        partitions: l.partitions.map((p) => ({ partition: p.partition, position: p.position, owner: p.owner, lagEvents: p.lagEvents, lagSeconds: p.lagSeconds })),
      })),
    };
  });

  app.post('/consumers/:name/replay', {
    config: { roles: ADMIN_ONLY },
    schema: {
      tags: ['operations'], summary: 'Re-feed a selection of events to one consumer, or rebuild a projection for the tenant (dryRun counts only)',
      params: Type.Object({ name: Type.String({ maxLength: 128 }) }), body: ReplayBodySchema,
      response: {
        200: Type.Object({ count: Type.Integer(), dryRun: Type.Literal(true) }),
        202: Type.Object({ replayId: Type.String(), count: Type.Integer(), mode: Type.Union([Type.Literal('replay'), Type.Literal('rebuild')]) }),
        404: ProblemSchema,
      },
    },
  }, async (request, reply) => {
    const { name } = request.params;
    const body = request.body ?? {};
    const selection = toSelection(body);
    if (body.dryRun) return { count: await replay.count(request.principal.tenant.id, name, selection), dryRun: true as const };
    const result = await replay.replay(request.principal.tenant.id, name, selection, { limited: true });
    request.log.info({ consumer: name, count: result.count, mode: result.mode }, 'replay requested');
    return reply.status(202).send(result);
  });

  app.post('/consumers/:name/retry-dead', {
    config: { roles: ADMIN_ONLY },
    schema: { tags: ['operations'], summary: 'Give dead deliveries of one consumer another round', params: Type.Object({ name: Type.String({ maxLength: 128 }) }), response: { 200: Type.Object({ count: Type.Integer() }), 404: ProblemSchema } },
  }, async (request) => {
    const { name } = request.params;
    return { count: await replay.retryDead(request.principal.tenant.id, name) };
  });
}
