/** TypeBox schemas of the events API: validation, types and OpenAPI from one definition. */
import { Type, type Static } from 'typebox';
import { EVENT_TYPE_PATTERN } from './catalog/builtin-types.js';
import { MAX_ID_LENGTH } from '../platform/ids.js';

const DeliveryStatusSchema = Type.Union([
  Type.Literal('pending'), Type.Literal('processing'), Type.Literal('done'), Type.Literal('failed'), Type.Literal('dead'),
]);

const Id = Type.String({ minLength: 1, maxLength: MAX_ID_LENGTH });

export const NativeEventSchema = Type.Object({
  type: Type.String({ pattern: EVENT_TYPE_PATTERN, maxLength: 128, description: 'Dotted lowercase type, e.g. article.created' }),
  userId: Type.Optional(Id),
  sessionId: Type.Optional(Id),
  source: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 })),
  subject: Type.Optional(Type.String({ maxLength: 1024 })),
  time: Type.Optional(Type.String({ format: 'date-time', description: 'When it happened (ISO 8601); default: now' })),
  category: Type.Optional(Type.String({ maxLength: 64 })),
  sourceApp: Type.Optional(Type.String({ maxLength: 128 })),
  idempotencyKey: Type.Optional(Type.String({ minLength: 1, maxLength: MAX_ID_LENGTH })),
  data: Type.Optional(Type.Unknown({ description: 'Payload, validated against the type\'s JSON Schema' })),
}, { additionalProperties: false, $id: 'NativeEvent' });
export type NativeEvent = Static<typeof NativeEventSchema>;

export const CloudEventSchema = Type.Object({
  specversion: Type.Literal('1.0'),
  id: Type.String({ minLength: 1 }),
  source: Type.String({ minLength: 1 }),
  type: Type.String({ minLength: 1 }),
  time: Type.Optional(Type.String({ format: 'date-time' })),
  subject: Type.Optional(Type.String()),
  datacontenttype: Type.Optional(Type.String()),
  dataschema: Type.Optional(Type.String()),
  data: Type.Optional(Type.Unknown()),
  data_base64: Type.Optional(Type.String()),
  userid: Type.Optional(Type.String()),
  sessionid: Type.Optional(Type.String()),
  category: Type.Optional(Type.String()),
  sourceapp: Type.Optional(Type.String()),
  idempotencykey: Type.Optional(Type.String()),
  tenantid: Type.Optional(Type.String()),
}, { additionalProperties: true, $id: 'CloudEvent', description: 'CloudEvents 1.0 structured JSON' });
export type CloudEventJson = Static<typeof CloudEventSchema>;

export const AcceptedSchema = Type.Object({
  id: Type.String(),
  duplicate: Type.Boolean({ description: 'True when the idempotency key was seen before: nothing new was stored' }),
});

const ItemErrorSchema = Type.Object({
  code: Type.String(),
  status: Type.Integer(),
  detail: Type.String(),
  errors: Type.Optional(Type.Array(Type.Object({ pointer: Type.String(), detail: Type.String() }))),
});

export const BatchResultSchema = Type.Object({
  accepted: Type.Integer(),
  duplicates: Type.Integer(),
  rejected: Type.Integer(),
  results: Type.Array(Type.Object({
    index: Type.Integer(),
    status: Type.Union([Type.Literal('accepted'), Type.Literal('duplicate'), Type.Literal('rejected')]),
    id: Type.Optional(Type.String()),
    error: Type.Optional(ItemErrorSchema),
  })),
});

/** How the categorizer classified an event (docs/categorizer.md); absent until it has. */
export const EventIntentSchema = Type.Object({
  intent: Type.String({ description: 'A label name of the tenant, the sender\'s or a rule\'s intent, or `unknown`' }),
  category: Type.String(),
  confidence: Type.Number({ minimum: 0, maximum: 1 }),
  method: Type.Union([Type.Literal('sender'), Type.Literal('rule'), Type.Literal('embedding'), Type.Literal('llm')]),
});

/** What features add to an event in the events API (FeatureParts.annotateEvents); each field is absent until its feature has it. */
export const EventAnnotationsSchema = Type.Object({
  intent: Type.Optional(EventIntentSchema),
});
export type EventAnnotations = Static<typeof EventAnnotationsSchema>;

export const EventSchema = Type.Object({
  id: Type.String(),
  specversion: Type.Literal('1.0'),
  type: Type.String(),
  source: Type.String(),
  subject: Type.Union([Type.String(), Type.Null()]),
  time: Type.String({ format: 'date-time' }),
  receivedAt: Type.String({ format: 'date-time' }),
  userId: Type.Union([Type.String(), Type.Null()]),
  sessionId: Type.Union([Type.String(), Type.Null()]),
  category: Type.String(),
  sourceApp: Type.Union([Type.String(), Type.Null()]),
  idempotencyKey: Type.Union([Type.String(), Type.Null()]),
  senderRole: Type.Union([Type.Literal('admin'), Type.Literal('ingest'), Type.Literal('member'), Type.Null()], {
    description: 'Role of the key or token that sent the event (set by the server); null for events stored before it was recorded',
  }),
  data: Type.Unknown(),
  ...EventAnnotationsSchema.properties,
}, { $id: 'Event' });

export const DeliverySchema = Type.Object({
  consumer: Type.String(),
  status: DeliveryStatusSchema,
  attempts: Type.Integer(),
  lastError: Type.Union([Type.String(), Type.Null()]),
  nextAttemptAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  updatedAt: Type.String({ format: 'date-time' }),
});

export const SelectionSchema = Type.Object({
  from: Type.Optional(Type.String({ format: 'date-time', maxLength: 64 })),
  to: Type.Optional(Type.String({ format: 'date-time', maxLength: 64 })),
  types: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 128 }), { maxItems: 100, description: 'Type patterns, e.g. article.*' })),
  userId: Type.Optional(Type.String({ minLength: 1, maxLength: MAX_ID_LENGTH })),
});

export const ReplayBodySchema = Type.Object({ ...SelectionSchema.properties, dryRun: Type.Optional(Type.Boolean()) }, { additionalProperties: false });

export const EventListQuerySchema = Type.Object({
  type: Type.Optional(Type.String({ maxLength: 4096, description: 'Comma-separated type patterns (article.*), at most 100' })),
  userId: Type.Optional(Type.String({ maxLength: 256 })),
  from: Type.Optional(Type.String({ format: 'date-time', maxLength: 64 })),
  to: Type.Optional(Type.String({ format: 'date-time', maxLength: 64 })),
  status: Type.Optional(DeliveryStatusSchema),
  consumer: Type.Optional(Type.String({ maxLength: 128 })),
  limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
  cursor: Type.Optional(Type.String({ maxLength: 256 })),
}, { additionalProperties: false });

export const ConsumerSchema = Type.Object({
  name: Type.String(),
  description: Type.String(),
  types: Type.Array(Type.String()),
  delivery: Type.Union([Type.Literal('durable'), Type.Literal('live')]),
  pending: Type.Integer(),
  processing: Type.Integer(),
  failed: Type.Integer(),
  dead: Type.Integer(),
  parked: Type.Integer({ description: 'Events waiting behind a failed event of their ordering key' }),
  replaying: Type.Integer({ description: 'Replay cursors still running (one per partition)' }),
  lagEvents: Type.Integer({ description: 'Events not yet handled: after the position (the furthest-behind partition), parked, failed, plus one per running replay cursor; your tenant\'s events are counted within the next 10000 positions of the log' }),
  lagSeconds: Type.Number({ description: 'Age of the oldest event not yet handled' }),
  partitions: Type.Array(Type.Object({
    partition: Type.Integer(),
    position: Type.Integer({ description: 'Position in the log of the last event this partition passed' }),
    owner: Type.Union([Type.String(), Type.Null()], { description: 'Worker holding the partition\'s lease' }),
    lagEvents: Type.Integer({ description: 'Events in the log after the position (of every partition: an upper bound)' }),
    lagSeconds: Type.Number(),
  })),
});
