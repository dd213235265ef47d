/**
 * Per-person analytics under /v1/analytics/users/:userId: sessions, engagement and behaviour, read
 * from the `analytics-sessions` projection (a moment behind the log): the user's own activity and
 * that of the ids stitched to them. Admins ask about any user of their
 * tenant; a member only about themselves (403 otherwise); nothing crosses tenants.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { scopedUser } from '../http/auth.plugin.js';
import { optionalInstant } from '../http/instants.js';
import { ProblemSchema } from '../http/problem.js';
import { AppError } from '../platform/errors.js';
import { MAX_ID_LENGTH } from '../platform/ids.js';
import { behavior, clockOf } from './behavior.js';
import { DAY_MS, engagement } from './engagement.js';
import type { CategorizerApi } from '../categorizer/intents.port.js';
import type { SessionsStore } from './sessions/sessions.store.js';

/** Sessions read for one engagement answer (two periods); a person with more gets `truncated`. */
export const ENGAGEMENT_SESSIONS_MAX = 50_000;
/** Events read for one behaviour answer (the newest); a person with more gets `truncated`. */
export const BEHAVIOR_EVENTS_MAX = 20_000;

const Params = Type.Object({ userId: Type.String({ minLength: 1, maxLength: MAX_ID_LENGTH }) });
const Compared = Type.Object({ value: Type.Number(), previous: Type.Number(), change: Type.Union([Type.Number(), Type.Null()]) });
const FIGURES = ['activeDays', 'sessions', 'events', 'eventsPerSession', 'averageSessionSeconds', 'medianSessionSeconds', 'currentStreakDays', 'longestStreakDays'] as const;
const Session = Type.Object({
  sessionKey: Type.String({ description: 's:<sessionId> for the client\'s sessions, d:<position of the first event> for derived ones' }),
  sourceApp: Type.Union([Type.String(), Type.Null()]),
  derived: Type.Boolean(),
  startedAt: Type.String({ format: 'date-time' }),
  endedAt: Type.String({ format: 'date-time' }),
  durationSeconds: Type.Number(),
  eventCount: Type.Integer(),
  entryType: Type.String(),
  exitType: Type.String(),
});

export interface AnalyticsRoutesOptions {
  sessions: SessionsStore;
  /** The categorizer's intents, when that feature runs. */
  intents?: Pick<CategorizerApi, 'intentsOf'>;
}

export async function analyticsRoutes(fastify: FastifyInstance, options: AnalyticsRoutesOptions): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

  app.get('/analytics/users/:userId/sessions', {
    schema: {
      tags: ['analytics'], summary: 'A person\'s sessions, newest first',
      params: Params,
      querystring: Type.Object({
        from: Type.Optional(Type.String({ format: 'date-time', maxLength: 64 })),
        to: Type.Optional(Type.String({ format: 'date-time', maxLength: 64 })),
        limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
      }, { additionalProperties: false }),
      response: { 200: Type.Object({ userId: Type.String(), items: Type.Array(Session) }), 400: ProblemSchema, 403: ProblemSchema },
    },
  }, async (request) => {
    const userId = scopedUser(request.principal, request.params.userId)!;
    const to = optionalInstant(request.query.to, '/to') ?? Date.now() + 1;
    const from = optionalInstant(request.query.from, '/from') ?? to - 30 * DAY_MS;
    if (from >= to) throw new AppError('VALIDATION_FAILED', { detail: 'from must be before to', errors: [{ pointer: '/from', detail: 'after to' }] });
    const tenantId = request.principal.tenant.id;
    const rows = await options.sessions.list(tenantId, await options.sessions.actorsOf(tenantId, userId), from, to, request.query.limit);
    return {
      userId,
      items: rows.map((r) => ({
        sessionKey: r.key, sourceApp: r.sourceApp === '' ? null : r.sourceApp, derived: r.derived,
        startedAt: new Date(r.startedAt).toISOString(), endedAt: new Date(r.endedAt).toISOString(),
        durationSeconds: (r.endedAt - r.startedAt) / 1000, eventCount: r.eventCount, entryType: r.entryType, exitType: r.exitType,
      })),
    };
  });

  app.get('/analytics/users/:userId/engagement', {
    schema: {
      tags: ['analytics'], summary: 'A person\'s engagement over the last `days` UTC days (today included), beside the period before',
      params: Params,
      querystring: Type.Object({ days: Type.Integer({ minimum: 1, maximum: 366, default: 30 }) }, { additionalProperties: false }),
      response: {
        200: Type.Object({
          userId: Type.String(), days: Type.Integer(), from: Type.String({ format: 'date-time' }), to: Type.String({ format: 'date-time' }),
          figures: Type.Object(Object.fromEntries(FIGURES.map((f) => [f, Compared])) as Record<(typeof FIGURES)[number], typeof Compared>),
          truncated: Type.Boolean({ description: `true when the two periods hold more than ${ENGAGEMENT_SESSIONS_MAX} sessions (the figures count the first ones)` }),
        }),
        400: ProblemSchema, 403: ProblemSchema,
      },
    },
  }, async (request) => {
    const userId = scopedUser(request.principal, request.params.userId)!;
    const { days } = request.query;
    const to = (Math.floor(Date.now() / DAY_MS) + 1) * DAY_MS;
    const from = to - days * DAY_MS;
    const tenantId = request.principal.tenant.id;
    const spans = await options.sessions.spans(tenantId, await options.sessions.actorsOf(tenantId, userId), from - days * DAY_MS, to, ENGAGEMENT_SESSIONS_MAX + 1);
    const truncated = spans.length > ENGAGEMENT_SESSIONS_MAX;
    return {
      userId, days, from: new Date(from).toISOString(), to: new Date(to).toISOString(),
      figures: engagement(truncated ? spans.slice(0, ENGAGEMENT_SESSIONS_MAX) : spans, from, to), truncated,
    };
  });

  const Share = Type.Object({ key: Type.Union([Type.String(), Type.Null()]), count: Type.Integer(), share: Type.Number() });
  app.get('/analytics/users/:userId/behavior', {
    schema: {
      tags: ['analytics'], summary: 'What a person does: types, categories and source apps with shares, activity by hour and weekday, typical session length',
      params: Params,
      querystring: Type.Object({
        days: Type.Integer({ minimum: 1, maximum: 366, default: 30 }),
        tz: Type.String({ minLength: 1, maxLength: 64, default: 'UTC', description: 'IANA time zone of the hours and weekdays' }),
      }, { additionalProperties: false }),
      response: {
        200: Type.Object({
          userId: Type.String(), days: Type.Integer(), tz: Type.String(), from: Type.String({ format: 'date-time' }), events: Type.Integer(),
          types: Type.Array(Share), categories: Type.Array(Share), sourceApps: Type.Array(Share),
          intents: Type.Array(Share, { description: 'the categorizer\'s intents, shares of the events it has categorised' }),
          hourOfDay: Type.Array(Type.Integer(), { minItems: 24, maxItems: 24 }), dayOfWeek: Type.Array(Type.Integer(), { minItems: 7, maxItems: 7, description: 'Monday first' }),
          sessions: Type.Integer(), typicalSessionSeconds: Type.Number({ description: 'median length of the sessions that started in the period' }),
          truncated: Type.Boolean({ description: `true when the period holds more than ${BEHAVIOR_EVENTS_MAX} of the person's events (the newest are counted)` }),
        }),
        400: ProblemSchema, 403: ProblemSchema,
      },
    },
  }, async (request) => {
    const userId = scopedUser(request.principal, request.params.userId)!;
    const { days, tz } = request.query;
    let clock: (ms: number) => [number, number];
    try { clock = clockOf(tz); } catch { throw new AppError('VALIDATION_FAILED', { detail: `tz ${tz} is not a time zone this server knows`, errors: [{ pointer: '/tz', detail: 'unknown time zone' }] }); }
    const tenantId = request.principal.tenant.id;
    const from = Date.now() - days * DAY_MS;
    const actors = await options.sessions.actorsOf(tenantId, userId);
    const events = await options.sessions.personEvents(tenantId, actors, { from, newestFirst: true, limit: BEHAVIOR_EVENTS_MAX + 1 });
    const truncated = events.length > BEHAVIOR_EVENTS_MAX;
    const spans = await options.sessions.spans(tenantId, actors, from, Date.now() + 1, ENGAGEMENT_SESSIONS_MAX);
    const kept = events.slice(0, BEHAVIOR_EVENTS_MAX);
    const intents = options.intents ? await options.intents.intentsOf(tenantId, kept.map((e) => e.eventId)) : new Map<string, { intent: string; category: string }>();
    const counted = kept.map((e) => {
      const found = intents.get(e.eventId);
      // The categorizer's category stands where the sender gave none (it keeps the sender's otherwise).
      return { type: e.type, time: e.time, sourceApp: e.sourceApp === '' ? null : e.sourceApp, category: found?.category ?? e.category, ...(found ? { intent: found.intent } : {}) };
    });
    return { userId, days, tz, from: new Date(from).toISOString(), ...behavior(counted, spans, clock), truncated };
  });
}
