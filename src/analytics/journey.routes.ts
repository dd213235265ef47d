/**
 * GET /v1/analytics/users/:userId/journey: a person's events in the order they were received,
 * grouped into runs of one session (the session the analytics-sessions projection gave each
 * event; events it has not handled yet come with `sessionKey: null`), a page at a time. With
 * `session` only that session's events. Same access rules as the other per-person routes.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from 'typebox';
import { scopedUser } from '../http/auth.plugin.js';
import { optionalInstant } from '../http/instants.js';
import { ProblemSchema } from '../http/problem.js';
import { AppError } from '../platform/errors.js';
import { MAX_ID_LENGTH } from '../platform/ids.js';
import type { EventRecord } from '../ports/events.types.js';
import type { EventStore } from '../ports/store.port.js';
import type { SessionsStore } from './sessions/sessions.store.js';

const JourneyEvent = Type.Object({
  id: Type.String(), type: Type.String(), time: Type.String({ format: 'date-time' }), receivedAt: Type.String({ format: 'date-time' }),
  sourceApp: Type.Union([Type.String(), Type.Null()]), sessionId: Type.Union([Type.String(), Type.Null()]),
});

const encode = (id: string) => Buffer.from(id, 'utf8').toString('base64url');

function decode(cursor: string): string {
  const id = Buffer.from(cursor, 'base64url').toString('utf8');
  if (id.length === 0 || id.length > 64 || encode(id) !== cursor) {
    throw new AppError('VALIDATION_FAILED', { detail: 'cursor is not one this API gave out', errors: [{ pointer: '/cursor', detail: 'unknown cursor' }] });
  }
  return id;
}

export async function journeyRoutes(fastify: FastifyInstance, options: { sessions: SessionsStore; events: EventStore }): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.get('/analytics/users/:userId/journey', {
    schema: {
      tags: ['analytics'], summary: 'A person\'s events in the order received, grouped by session, a page at a time',
      params: Type.Object({ userId: Type.String({ minLength: 1, maxLength: MAX_ID_LENGTH }) }),
      querystring: Type.Object({
        from: Type.Optional(Type.String({ format: 'date-time', maxLength: 64, description: 'received at or after' })),
        to: Type.Optional(Type.String({ format: 'date-time', maxLength: 64, description: 'received before' })),
        session: Type.Optional(Type.String({ minLength: 1, maxLength: MAX_ID_LENGTH + 2, description: 'a sessionKey from /sessions: only its events' })),
        limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }),
        cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
      }, { additionalProperties: false }),
      response: {
        200: Type.Object({
          userId: Type.String(),
          sessions: Type.Array(Type.Object({ sessionKey: Type.Union([Type.String(), Type.Null()]), events: Type.Array(JourneyEvent) })),
          nextCursor: Type.Union([Type.String(), Type.Null()]),
        }),
        400: ProblemSchema, 403: ProblemSchema,
      },
    },
  }, async (request) => {
    const userId = scopedUser(request.principal, request.params.userId)!;
    const tenantId = request.principal.tenant.id;
    const { limit, session } = request.query;
    const from = optionalInstant(request.query.from, '/from');
    const to = optionalInstant(request.query.to, '/to');
    if (from !== undefined && to !== undefined && from >= to) throw new AppError('VALIDATION_FAILED', { detail: 'from must be before to', errors: [{ pointer: '/from', detail: 'after to' }] });
    const after = request.query.cursor === undefined ? '' : decode(request.query.cursor);
    let page: EventRecord[];
    if (session !== undefined) {
      const ids = await options.sessions.eventsOfSession(tenantId, userId, session, after, limit + 1);
      page = (await options.events.getMany(ids)).filter((e) => e.tenantId === tenantId && (from === undefined || e.receivedAt >= from) && (to === undefined || e.receivedAt < to))
        .sort((a, b) => (a.id < b.id ? -1 : 1));
    } else {
      page = (await options.events.list(tenantId, { userId, ...(from === undefined ? {} : { from }), ...(to === undefined ? {} : { to }), after, limit: limit + 1 })).items;
    }
    const more = page.length > limit;
    const events = page.slice(0, limit);
    const keys = await options.sessions.sessionKeys(tenantId, events.map((e) => e.id));
    const sessions: Array<{ sessionKey: string | null; events: Array<Static<typeof JourneyEvent>> }> = [];
    for (const e of events) {
      const sessionKey = keys.get(e.id) ?? null;
      if (sessions.at(-1)?.sessionKey !== sessionKey || sessions.length === 0) sessions.push({ sessionKey, events: [] });
      sessions.at(-1)!.events.push({
        id: e.id, type: e.type, time: new Date(e.time).toISOString(), receivedAt: new Date(e.receivedAt).toISOString(), sourceApp: e.sourceApp, sessionId: e.sessionId,
      });
    }
    return { userId, sessions, nextCursor: more ? encode(events.at(-1)!.id) : null };
  });
}
