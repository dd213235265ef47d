/**
 * GET /v1/analytics/users/:userId/journey: a person's events (theirs and those of the ids
 * stitched to them) in time order, grouped into runs of one session, a page at a time; read
 * from the analytics-sessions projection, so an event shows once it has been applied (a moment
 * after it was accepted). With `session` (or the client's `sessionId`) only that session's
 * events. Same access rules as the other per-person routes.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from 'typebox';
import { scopedUser } from '../http/auth.plugin.js';
import { optionalInstant } from '../http/instants.js';
import { ProblemSchema } from '../http/problem.js';
import { AppError } from '../platform/errors.js';
import { MAX_ID_LENGTH } from '../platform/ids.js';
import type { EventStore } from '../ports/store.port.js';
import { clientSessionKey } from './sessions/sessionize.js';
import type { SessionsStore } from './sessions/sessions.store.js';

const JourneyEvent = Type.Object({
  id: Type.String(), type: Type.String(), time: Type.String({ format: 'date-time' }), receivedAt: Type.String({ format: 'date-time' }),
  sourceApp: Type.Union([Type.String(), Type.Null()]), sessionId: Type.Union([Type.String(), Type.Null()]),
});

/** The cursor is the last event's (time, id), so the next page starts right after it. */
const encode = (time: number, eventId: string) => Buffer.from(`${time}:${eventId}`, 'utf8').toString('base64url');

function decode(cursor: string): { time: number; eventId: string } {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const match = /^(-?\d{1,16}):(.{1,64})$/s.exec(text);
  if (!match || encode(Number(match[1]), match[2]!) !== cursor) {
    throw new AppError('VALIDATION_FAILED', { detail: 'cursor is not one this API gave out', errors: [{ pointer: '/cursor', detail: 'unknown cursor' }] });
  }
  return { time: Number(match[1]), eventId: match[2]! };
}

export async function journeyRoutes(fastify: FastifyInstance, options: { sessions: SessionsStore; events: EventStore }): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.get('/analytics/users/:userId/journey', {
    schema: {
      tags: ['analytics'], summary: 'A person\'s events in the order received, grouped by session, a page at a time',
      params: Type.Object({ userId: Type.String({ minLength: 1, maxLength: MAX_ID_LENGTH }) }),
      querystring: Type.Object({
        from: Type.Optional(Type.String({ format: 'date-time', maxLength: 64, description: 'events at or after (their time)' })),
        to: Type.Optional(Type.String({ format: 'date-time', maxLength: 64, description: 'events before (their time)' })),
        session: Type.Optional(Type.String({ minLength: 1, maxLength: MAX_ID_LENGTH + 2, description: 'a sessionKey from /sessions: only its events' })),
        sessionId: Type.Optional(Type.String({ minLength: 1, maxLength: MAX_ID_LENGTH, description: 'the client\'s session id: only its events (the sessionKey s:<sessionId>)' })),
        limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }),
        cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
      }, { additionalProperties: false }),
      response: {
        200: Type.Object({
          userId: Type.String(),
          sessions: Type.Array(Type.Object({ sessionKey: Type.String(), events: Type.Array(JourneyEvent) })),
          nextCursor: Type.Union([Type.String(), Type.Null()]),
        }),
        400: ProblemSchema, 403: ProblemSchema,
      },
    },
  }, async (request) => {
    const userId = scopedUser(request.principal, request.params.userId)!;
    const tenantId = request.principal.tenant.id;
    const { limit, session, sessionId } = request.query;
    const from = optionalInstant(request.query.from, '/from');
    const to = optionalInstant(request.query.to, '/to');
    if (from !== undefined && to !== undefined && from >= to) throw new AppError('VALIDATION_FAILED', { detail: 'from must be before to', errors: [{ pointer: '/from', detail: 'after to' }] });
    if (session !== undefined && sessionId !== undefined) throw new AppError('VALIDATION_FAILED', { detail: 'give session or sessionId, not both', errors: [{ pointer: '/sessionId', detail: 'with session' }] });
    const after = request.query.cursor === undefined ? undefined : decode(request.query.cursor);
    const sessionKey = sessionId !== undefined ? clientSessionKey(sessionId) : session;
    const actors = await options.sessions.actorsOf(tenantId, userId);
    const rows = await options.sessions.personEvents(tenantId, actors, {
      ...(from === undefined ? {} : { from }), ...(to === undefined ? {} : { to }), ...(sessionKey === undefined ? {} : { sessionKey }), ...(after ? { after } : {}), limit: limit + 1,
    });
    const more = rows.length > limit;
    const shown = rows.slice(0, limit);
    const stored = new Map((await options.events.getMany(shown.map((r) => r.eventId))).filter((e) => e.tenantId === tenantId).map((e) => [e.id, e]));
    const sessions: Array<{ sessionKey: string; events: Array<Static<typeof JourneyEvent>> }> = [];
    for (const row of shown) {
      const e = stored.get(row.eventId);
      if (!e) continue; // erased from the log since the projection recorded it
      if (sessions.at(-1)?.sessionKey !== row.sessionKey) sessions.push({ sessionKey: row.sessionKey, events: [] });
      sessions.at(-1)!.events.push({
        id: e.id, type: e.type, time: new Date(e.time).toISOString(), receivedAt: new Date(e.receivedAt).toISOString(), sourceApp: e.sourceApp, sessionId: e.sessionId,
      });
    }
    const last = shown.at(-1);
    return { userId, sessions, nextCursor: more && last ? encode(last.time, last.eventId) : null };
  });
}
