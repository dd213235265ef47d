/** A collection definition as data (the `BaseCollection` of the requirements, without subclasses). */
import { Type, type Static } from 'typebox';
import { EVENT_TYPE_PATTERN } from '../../events/catalog/builtin-types.js';
import { FIELD_PATTERN } from '../filter.schema.js';

export const COLLECTION_NAME_PATTERN = '^[a-z0-9][a-z0-9_-]{0,62}$';
const FieldName = Type.String({ pattern: FIELD_PATTERN });
/** A field path in a document: `name`, or dotted into objects: `address.city`. */
const FieldPath = Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_.-]{0,127}$' });

export const MetadataTypeSchema = Type.Union([Type.Literal('string'), Type.Literal('number'), Type.Literal('boolean'), Type.Literal('string[]')]);
export type MetadataType = Static<typeof MetadataTypeSchema>;

export const SourceRuleSchema = Type.Object({
  type: Type.String({ pattern: EVENT_TYPE_PATTERN, description: 'Event type that feeds this collection' }),
  op: Type.Union([Type.Literal('upsert'), Type.Literal('delete')]),
  idField: Type.String({ pattern: '^(\\$eventId|[A-Za-z_][A-Za-z0-9_.-]{0,127})$', description: 'Data field holding the document id, or $eventId' }),
  includeEnvelope: Type.Optional(Type.Boolean({ description: 'Add the event\'s userId, type and time to the document fields' })),
}, { additionalProperties: false, description: 'Maps an event type onto a document write' });
export type SourceRule = Static<typeof SourceRuleSchema>;

export const ChunkingSchema = Type.Object({
  size: Type.Integer({ minimum: 50, maximum: 20_000, default: 1200 }),
  overlap: Type.Integer({ minimum: 0, maximum: 5000, default: 150 }),
  markdown: Type.Boolean({ default: true, description: 'Split at headings and keep the heading path' }),
}, { additionalProperties: false });

export const CollectionSettingsSchema = Type.Object({
  textFields: Type.Array(FieldPath, { minItems: 1, maxItems: 32, description: 'Fields joined into the searchable text' }),
  titleField: Type.Optional(FieldPath),
  metadata: Type.Record(Type.String(), MetadataTypeSchema, { default: {}, description: 'Filterable fields and their types' }),
  chunking: ChunkingSchema,
  language: Type.Union([Type.Literal('en'), Type.Literal('de'), Type.Literal('auto')], { default: 'auto' }),
  sources: Type.Array(SourceRuleSchema, { default: [], maxItems: 64, description: 'Events that write documents into this collection' }),
}, { additionalProperties: false });
export type CollectionSettings = Static<typeof CollectionSettingsSchema>;

export const CreateCollectionSchema = Type.Object({
  name: Type.String({ pattern: COLLECTION_NAME_PATTERN }),
  template: Type.Optional(Type.String({ description: 'Start from a built-in template: articles, customers, policies, user-events, chat-messages' })),
  textFields: Type.Optional(CollectionSettingsSchema.properties.textFields),
  titleField: Type.Optional(FieldPath),
  metadata: Type.Optional(CollectionSettingsSchema.properties.metadata),
  chunking: Type.Optional(Type.Partial(ChunkingSchema)),
  language: Type.Optional(CollectionSettingsSchema.properties.language),
  sources: Type.Optional(CollectionSettingsSchema.properties.sources),
}, { additionalProperties: false });
export type CreateCollection = Static<typeof CreateCollectionSchema>;

export const PatchCollectionSchema = Type.Omit(CreateCollectionSchema, ['name', 'template']);
export type PatchCollection = Static<typeof PatchCollectionSchema>;

export const CollectionSchema = Type.Object({
  name: Type.String(),
  template: Type.Union([Type.String(), Type.Null()]),
  ...CollectionSettingsSchema.properties,
  embedder: Type.Object({ model: Type.String(), dimension: Type.Integer() }),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
  stats: Type.Optional(Type.Object({
    documents: Type.Integer(), chunks: Type.Integer(), indexBytes: Type.Integer(),
    lastIndexedEventId: Type.Union([Type.String(), Type.Null()]),
  })),
});

export { FieldName };
