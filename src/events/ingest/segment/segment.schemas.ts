/**
 * TypeBox schemas of the Segment-spec endpoints (track, identify, page, screen, group, alias,
 * batch): validation of each message, its TypeScript type and its OpenAPI entry.
 */
import { Type, type Static, type TSchema } from 'typebox';
import { BatchResultSchema } from '../../events.schemas.js';
import { MAX_ID_LENGTH } from '../../../platform/ids.js';

export type SegmentKind = 'track' | 'identify' | 'page' | 'screen' | 'group' | 'alias';
export const SEGMENT_KINDS: readonly SegmentKind[] = ['track', 'identify', 'page', 'screen', 'group', 'alias'];

/** Segment's limits: one message, and one batch request. */
export const MESSAGE_MAX_BYTES = 32 * 1024;
export const BATCH_MAX_BYTES = 500 * 1024;

/** Segment clients send ids as strings, some as numbers; both become strings. */
const IdValue = Type.Union([Type.String({ minLength: 1, maxLength: MAX_ID_LENGTH }), Type.Number()]);
const OptionalId = Type.Optional(Type.Union([IdValue, Type.Null()]));
const Dict = Type.Record(Type.String(), Type.Unknown());
const OptionalDict = Type.Optional(Type.Union([Dict, Type.Null()]));
/** Optional timestamps are never a reason to refuse a message: see segment.mapper's `readTimes`. */
const Timestamp = Type.Optional(Type.Unknown({ description: 'ISO 8601; any other value is kept in data.rawTimestamps, answered with a warning' }));

const common = {
  type: Type.Optional(Type.Union(SEGMENT_KINDS.map((kind) => Type.Literal(kind)))),
  userId: OptionalId,
  anonymousId: OptionalId,
  messageId: Type.Optional(Type.String({ minLength: 1, maxLength: MAX_ID_LENGTH, description: 'Idempotency key: a messageId seen again within the window is a duplicate' })),
  timestamp: Timestamp,
  sentAt: Timestamp,
  originalTimestamp: Timestamp,
  context: OptionalDict,
  integrations: OptionalDict,
};

const message = (title: string, extra: Record<string, TSchema>) =>
  Type.Object({ ...common, ...extra }, { additionalProperties: true, title, description: 'Needs userId or anonymousId' });

export const TrackSchema = message('SegmentTrack', { event: Type.String({ minLength: 1, maxLength: 512 }), properties: OptionalDict });
export const IdentifySchema = message('SegmentIdentify', { traits: OptionalDict });
export const PageSchema = message('SegmentPage', { name: Type.Optional(Type.String()), category: Type.Optional(Type.String()), properties: OptionalDict });
export const ScreenSchema = message('SegmentScreen', { name: Type.Optional(Type.String()), category: Type.Optional(Type.String()), properties: OptionalDict });
export const GroupSchema = message('SegmentGroup', { groupId: IdValue, traits: OptionalDict });
export const AliasSchema = message('SegmentAlias', { previousId: IdValue, userId: IdValue });

export const MESSAGE_SCHEMAS: Readonly<Record<SegmentKind, TSchema>> = {
  track: TrackSchema, identify: IdentifySchema, page: PageSchema, screen: ScreenSchema, group: GroupSchema, alias: AliasSchema,
};

/** A message whose shape passed its schema (numbers already turned into strings by the mapper). */
export interface SegmentMessage {
  type?: SegmentKind;
  userId?: string | number | null;
  anonymousId?: string | number | null;
  messageId?: string;
  timestamp?: unknown;
  sentAt?: unknown;
  originalTimestamp?: unknown;
  context?: Record<string, unknown> | null;
  integrations?: Record<string, unknown> | null;
  properties?: Record<string, unknown> | null;
  traits?: Record<string, unknown> | null;
  event?: string;
  name?: string;
  category?: string;
  groupId?: string | number;
  previousId?: string | number;
}

export const BatchSchema = Type.Object({
  batch: Type.Array(Type.Union([TrackSchema, IdentifySchema, PageSchema, ScreenSchema, GroupSchema, AliasSchema]), {
    description: 'Messages, each with its `type`',
  }),
  context: OptionalDict,
  integrations: OptionalDict,
  sentAt: Timestamp,
  writeKey: Type.Optional(Type.String({ description: 'The ingest key, when not sent as HTTP Basic user name or Bearer token' })),
}, { additionalProperties: true, title: 'SegmentBatch' });
export type SegmentBatch = Static<typeof BatchSchema>;

const WarningsSchema = Type.Optional(Type.Array(Type.Object({ pointer: Type.String(), detail: Type.String() }), {
  description: 'What was tolerated, e.g. an optional timestamp that is not ISO 8601 (kept in data.rawTimestamps)',
}));

export const SegmentAcceptedSchema = Type.Object({
  success: Type.Literal(true),
  id: Type.String({ description: 'Id of the stored event' }),
  duplicate: Type.Boolean({ description: 'True when the messageId was seen before: nothing new was stored' }),
  warnings: WarningsSchema,
});

const BatchItemSchema = BatchResultSchema.properties.results.items;

export const SegmentBatchResultSchema = Type.Object({
  success: Type.Literal(true, { description: 'The request was processed; see `rejected` and `results` per message' }),
  ...BatchResultSchema.properties,
  results: Type.Array(Type.Object({ ...BatchItemSchema.properties, warnings: WarningsSchema })),
});
