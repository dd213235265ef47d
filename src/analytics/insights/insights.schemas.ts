/** TypeBox schemas of the tenant insights routes: querystrings (bounded) and answers. */
import { Type } from 'typebox';
import { MAX_ROWS, MAX_TYPE_LENGTH, TYPE_LIST_PATTERN } from './insights.params.js';

const Instant = Type.Optional(Type.String({ format: 'date-time', maxLength: 64 }));
const EventType = Type.String({ minLength: 1, maxLength: MAX_TYPE_LENGTH, pattern: '^[a-z0-9][a-z0-9_-]*(\\.[a-z0-9][a-z0-9_-]*)*$' });
const TypeList = (max: number) => Type.String({ minLength: 1, maxLength: max * (MAX_TYPE_LENGTH + 1), pattern: TYPE_LIST_PATTERN });
const Truncated = Type.Boolean({ description: `true when the reads stopped at ${MAX_ROWS} rows: the figures count the earliest rows` });
const Ratio = Type.Union([Type.Number(), Type.Null()]);

export const FunnelQuerystring = Type.Object({
  steps: TypeList(10),
  within: Type.String({ pattern: '^[1-9][0-9]{0,4}[mhdw]$', default: '14d', description: 'conversion window: 30m, 2h, 14d, 2w (at most 90 days)' }),
  order: Type.Union([Type.Literal('ordered'), Type.Literal('strict'), Type.Literal('unordered')], { default: 'ordered' }),
  from: Instant,
  to: Instant,
  breakdown: Type.Optional(Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z_$][A-Za-z0-9_$-]*(\\.[A-Za-z_$][A-Za-z0-9_$-]*){0,3}$', description: 'a property path of the event data: `plan`, `context.app.name`' })),
}, { additionalProperties: false });

const FunnelStep = Type.Object({
  step: Type.Integer(),
  type: Type.Union([Type.String(), Type.Null()]),
  label: Type.String(),
  people: Type.Integer(),
  conversionFromFirst: Ratio,
  conversionFromPrevious: Ratio,
  averageSecondsToConvert: Ratio,
  medianSecondsToConvert: Ratio,
});

export const FunnelAnswer = Type.Object({
  order: Type.String(), withinSeconds: Type.Number(), from: Type.String(), to: Type.String(),
  steps: Type.Array(FunnelStep),
  breakdown: Type.Optional(Type.Object({
    property: Type.String(),
    values: Type.Array(Type.Object({ value: Type.Union([Type.String(), Type.Null()]), steps: Type.Array(FunnelStep) })),
    other: Type.Union([Type.Object({ values: Type.Integer(), steps: Type.Array(FunnelStep) }), Type.Null()]),
  })),
  truncated: Truncated,
});

export const RetentionQuerystring = Type.Object({
  event: EventType,
  returning: Type.Optional(EventType),
  period: Type.Union([Type.Literal('day'), Type.Literal('week'), Type.Literal('month')], { default: 'week' }),
  intervals: Type.Integer({ minimum: 1, maximum: 36, default: 8 }),
  type: Type.Union([Type.Literal('first_time'), Type.Literal('recurring')], { default: 'first_time' }),
  from: Instant,
  to: Instant,
}, { additionalProperties: false });

export const RetentionAnswer = Type.Object({
  event: Type.String(), returning: Type.String(), period: Type.String(), type: Type.String(), from: Type.String(), to: Type.String(),
  cohorts: Type.Array(Type.Object({ cohort: Type.String(), size: Type.Integer(), values: Type.Array(Type.Integer()) })),
  truncated: Truncated,
});

export const PathsQuerystring = Type.Object({
  from: Type.Optional(EventType),
  to: Type.Optional(EventType),
  steps: Type.Integer({ minimum: 2, maximum: 20, default: 5 }),
  edges: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
  since: Instant,
  until: Instant,
}, { additionalProperties: false });

export const PathsAnswer = Type.Object({
  since: Type.String(), until: Type.String(), paths: Type.Integer({ description: 'sessions that counted a path' }),
  edges: Type.Array(Type.Object({ source: Type.String(), target: Type.String(), value: Type.Integer(), averageTimeS: Type.Number() })),
  truncated: Truncated,
});

export const TrendsQuerystring = Type.Object({
  types: TypeList(10),
  interval: Type.Union([Type.Literal('hour'), Type.Literal('day'), Type.Literal('week')], { default: 'day' }),
  from: Instant,
  to: Instant,
  compare: Type.Optional(Type.Literal('previous')),
}, { additionalProperties: false });

const Series = Type.Array(Type.Object({
  type: Type.String(),
  total: Type.Object({ count: Type.Integer(), people: Type.Integer() }),
  data: Type.Array(Type.Object({ start: Type.String(), count: Type.Integer(), people: Type.Integer() })),
}));

export const TrendsAnswer = Type.Object({
  interval: Type.String(), from: Type.String(), to: Type.String(),
  series: Series,
  previous: Type.Optional(Type.Object({ from: Type.String(), to: Type.String(), series: Series })),
  truncated: Truncated,
});

export const OverviewQuerystring = Type.Object({ days: Type.Integer({ minimum: 1, maximum: 90, default: 30 }) }, { additionalProperties: false });

const Figures = { events: Type.Integer(), people: Type.Integer(), sessions: Type.Integer() };
export const OverviewAnswer = Type.Object({
  from: Type.String(), to: Type.String(),
  days: Type.Array(Type.Object({ day: Type.String({ description: 'YYYY-MM-DD (UTC)' }), ...Figures })),
  totals: Type.Object(Figures),
  topTypes: Type.Array(Type.Object({ type: Type.String(), events: Type.Integer() })),
  truncated: Type.Boolean({ description: `true when the range holds more than ${MAX_ROWS} session-days: the figures count the earliest days` }),
});
