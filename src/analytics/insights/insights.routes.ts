/**
 * Tenant insights under /v1/analytics, shaped like PostHog's: funnels, retention, paths, trends
 * and an overview, over the `analytics_events` projection (a moment behind the log). Admins
 * only (members and ingest keys 403); every read takes the tenant from the principal. Each
 * answer reads at most MAX_ROWS rows (then says `truncated`) and refuses ranges past its bounds.
 * Definitions: docs/analytics.md ("Tenant insights").
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { ADMIN_ONLY } from '../../http/auth.plugin.js';
import { instant, optionalInstant } from '../../http/instants.js';
import { ProblemSchema } from '../../http/problem.js';
import { Interner } from './columns.js';
import { funnelBreakdown, funnelPersons, funnelSteps } from './funnels.js';
import type { InsightsSource } from './insights.source.js';
import { DAY_MS, MAX_ROWS, MAX_WINDOW_DAYS, invalid, range, span, typeList } from './insights.params.js';
import {
  FunnelAnswer, FunnelQuerystring, OverviewAnswer, OverviewQuerystring, PathsAnswer, PathsQuerystring,
  RetentionAnswer, RetentionQuerystring, TrendsAnswer, TrendsQuerystring,
} from './insights.schemas.js';
import { overview } from './overview.js';
import { paths } from './paths.js';
import { addPeriods, periodStart, periodsBetween, retention } from './retention.js';
import { intervalsBetween, trends } from './trends.js';

/** Breakdown values reported one by one; the rest are merged. */
export const BREAKDOWN_TOP = 10;
/** Retention cohorts (periods from `from` to `to`) at most. */
export const MAX_COHORTS = 120;
/** Trend intervals per series at most (31 days of hours). */
export const MAX_INTERVALS = 744;
export const MAX_PATH_DAYS = 31;
const TOP_TYPES = 10;

const problems = { 400: ProblemSchema, 401: ProblemSchema, 403: ProblemSchema };
const iso = (ms: number) => new Date(ms).toISOString();
const interners = () => ({ persons: new Interner(), types: new Interner() });

export async function insightsRoutes(fastify: FastifyInstance, options: { source: InsightsSource }): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { source } = options;

  app.get('/analytics/funnels', {
    config: { roles: ADMIN_ONLY },
    schema: {
      tags: ['analytics'], summary: 'People through ordered, strict or unordered steps within a window, with conversion and time to convert',
      querystring: FunnelQuerystring, response: { 200: FunnelAnswer, ...problems },
    },
  }, async (request) => {
    const q = request.query;
    const steps = typeList(q.steps, '/steps', 2, 10);
    const windowMs = span(q.within, '/within', MAX_WINDOW_DAYS * DAY_MS);
    const { from, to } = range(q.from, q.to, 30 * DAY_MS);
    const interned = interners();
    const columns = await source.events({
      tenantId: request.principal.tenant.id, types: q.order === 'strict' ? null : steps, from, to: to + windowMs + 1,
      // The first step falls in [from, to], later ones up to a window after (an ordered funnel's first type, unless it repeats, only there).
      ...(q.order === 'ordered' && !steps.slice(1).includes(steps[0]!) ? { until: { [steps[0]!]: to + 1 } } : {}),
      limit: MAX_ROWS, interned, ...(q.breakdown !== undefined ? { breakdown: q.breakdown } : {}),
    });
    const people = funnelPersons(columns, interned.persons.size, { steps: steps.map((t) => interned.types.id(t)), order: q.order, windowMs, from, to });
    return {
      order: q.order, withinSeconds: windowMs / 1000, from: iso(from), to: iso(to),
      steps: funnelSteps(people, steps, q.order),
      ...(q.breakdown !== undefined ? { breakdown: { property: q.breakdown, ...funnelBreakdown(people, columns, steps, q.order, BREAKDOWN_TOP) } } : {}),
      truncated: columns.truncated,
    };
  });

  app.get('/analytics/retention', {
    config: { roles: ADMIN_ONLY },
    schema: {
      tags: ['analytics'], summary: 'Cohorts by the period of `event` (first time or recurring), and how many did `returning` in each later period',
      querystring: RetentionQuerystring, response: { 200: RetentionAnswer, ...problems },
    },
  }, async (request) => {
    const q = request.query;
    const returning = q.returning ?? q.event;
    const to = optionalInstant(q.to, '/to') ?? Date.now();
    const from = q.from !== undefined ? instant(q.from, '/from') : addPeriods(periodStart(to - 1, q.period), 1 - q.intervals, q.period);
    if (from >= to) throw invalid('/from', 'must be before to');
    const cohorts = periodsBetween(from, to, q.period);
    if (cohorts > MAX_COHORTS) throw invalid('/from', `the range holds ${cohorts} periods; at most ${MAX_COHORTS}`);
    const origin = periodStart(from, q.period);
    const tenantId = request.principal.tenant.id;
    const interned = interners();
    const starts = await source.events({ tenantId, types: [q.event], from: origin, to, limit: MAX_ROWS, interned });
    const returns = returning === q.event ? starts
      : await source.events({ tenantId, types: [returning], from: origin, to, limit: MAX_ROWS, interned });
    // First-time cohorts leave out whoever did `event` before the range (read as one row per actor).
    const earlier = q.type === 'first_time' ? await source.peopleBefore({ tenantId, type: q.event, before: origin, limit: MAX_ROWS, persons: interned.persons }) : null;
    return {
      event: q.event, returning, period: q.period, type: q.type, from: iso(origin), to: iso(to),
      cohorts: retention(starts, returns, interned.persons.size, { type: q.type, period: q.period, intervals: q.intervals, from, to }, earlier?.persons),
      truncated: starts.truncated || returns.truncated || (earlier?.truncated ?? false),
    };
  });

  app.get('/analytics/paths', {
    config: { roles: ADMIN_ONLY },
    schema: {
      tags: ['analytics'], summary: 'The steps people take within sessions, as step-indexed edges (1_a → 2_b)',
      querystring: PathsQuerystring, response: { 200: PathsAnswer, ...problems },
    },
  }, async (request) => {
    const q = request.query;
    const { from, to } = range(q.since, q.until, 7 * DAY_MS, ['/since', '/until'], MAX_PATH_DAYS);
    const interned = { ...interners(), sessions: new Interner() };
    const columns = await source.events({ tenantId: request.principal.tenant.id, types: null, from, to, limit: MAX_ROWS, interned });
    const result = paths(columns, interned.sessions.size, interned.types.names, {
      from: q.from === undefined ? null : interned.types.find(q.from), to: q.to === undefined ? null : interned.types.find(q.to), steps: q.steps, edges: q.edges,
    });
    return { since: iso(from), until: iso(to), ...result, truncated: columns.truncated };
  });

  app.get('/analytics/trends', {
    config: { roles: ADMIN_ONLY },
    schema: {
      tags: ['analytics'], summary: 'Events and distinct people per interval and type, optionally beside the period before',
      querystring: TrendsQuerystring, response: { 200: TrendsAnswer, ...problems },
    },
  }, async (request) => {
    const q = request.query;
    const types = [...new Set(typeList(q.types, '/types', 1, 10))];
    const { from, to } = range(q.from, q.to, 7 * DAY_MS);
    const n = intervalsBetween(from, to, q.interval);
    if (n > MAX_INTERVALS) throw invalid('/from', `the range holds ${n} ${q.interval}s; at most ${MAX_INTERVALS}`);
    const tenantId = request.principal.tenant.id;
    const interned = interners();
    const series = async (start: number, end: number) => {
      const columns = await source.events({ tenantId, types, from: start, to: end, limit: MAX_ROWS, interned });
      return { series: trends(columns, interned.persons.size, types.map((t) => interned.types.id(t)), types, start, end, q.interval), truncated: columns.truncated };
    };
    const current = await series(from, to);
    const previous = q.compare === 'previous' ? await series(from - (to - from), from) : null;
    return {
      interval: q.interval, from: iso(from), to: iso(to), series: current.series,
      ...(previous ? { previous: { from: iso(from - (to - from)), to: iso(from), series: previous.series } } : {}),
      truncated: current.truncated || (previous?.truncated ?? false),
    };
  });

  app.get('/analytics/overview', {
    config: { roles: ADMIN_ONLY },
    schema: {
      tags: ['analytics'], summary: 'Events, active people and sessions per UTC day of the last `days` (today included), and the top types',
      querystring: OverviewQuerystring, response: { 200: OverviewAnswer, ...problems },
    },
  }, async (request) => {
    const { days } = request.query;
    const tenantId = request.principal.tenant.id;
    const from = (Math.floor(Date.now() / DAY_MS) + 1 - days) * DAY_MS;
    const to = from + days * DAY_MS;
    const interned = { persons: new Interner(), sessions: new Interner() };
    const rows = await source.sessionDays({ tenantId, from, to, limit: MAX_ROWS, interned });
    return overview(rows, interned.persons.size, interned.sessions.size, from, days, await source.topTypes(tenantId, from, to, TOP_TYPES));
  });
}
