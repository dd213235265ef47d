/** A collection definition as data (the `BaseCollection` of the requirements, without subclasses). */
import { Type, type Static } from 'typebox';
import { EVENT_TYPE_PATTERN } from '../../events/catalog/builtin-types.js';
import { FIELD_PATTERN } from '../../ports/search-filter.js';
import { MAX_ID_LENGTH } from '../../platform/ids.js';

export const COLLECTION_NAME_PATTERN = '^[a-z0-9][a-z0-9_-]{0,62}$';
const FieldName = Type.String({ pattern: FIELD_PATTERN });
/** A field path in a document: `name`, or dotted into objects: `address.city`. */
const FIELD_PATH_PATTERN = '^[A-Za-z_][A-Za-z0-9_.-]{0,127}$';
const FieldPath = Type.String({ pattern: FIELD_PATH_PATTERN });

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
  size: Type.Integer({ minimum: 50, maximum: 20_000, description: 'Characters per chunk (default 1200)' }),
  overlap: Type.Integer({ minimum: 0, maximum: 5000, description: 'Characters shared by neighbouring chunks (default 150)' }),
  markdown: Type.Boolean({ description: 'Split at headings and keep the heading path (default true)' }),
}, { additionalProperties: false });

export const CollectionScopeSchema = Type.Union([Type.Literal('shared'), Type.Literal('user')], {
  description: 'shared: every member reads every document; user: a member reads only the documents they own (metadata userId, set from the writing event\'s user)',
});
export type CollectionScope = Static<typeof CollectionScopeSchema>;

const MemberWrites = Type.Boolean({
  description: 'Shared collections only: whether events sent with a member key write documents here (default false: a member\'s article.created changes nothing every user searches). Per-user collections always take members\' events about themselves',
});

// No `default` keywords here: a field the body leaves out must keep the template's value
// (defaults are applied in CollectionsService.settingsFrom).
const Metadata = Type.Record(Type.String({ pattern: FIELD_PATH_PATTERN }), MetadataTypeSchema, { maxProperties: 64, additionalProperties: false, description: 'Filterable fields and their types (default none)' });
const Language = Type.Union([Type.Literal('en'), Type.Literal('de'), Type.Literal('auto')], { description: 'Text analysis language (default auto)' });
const Sources = Type.Array(SourceRuleSchema, { maxItems: 64, description: 'Events that write documents into this collection (default none)' });
const TextFields = Type.Array(FieldPath, { minItems: 1, maxItems: 32, description: 'Fields joined into the searchable text' });

export const CollectionSettingsSchema = Type.Object({
  textFields: TextFields,
  titleField: Type.Optional(FieldPath),
  metadata: Metadata,
  chunking: ChunkingSchema,
  language: Language,
  sources: Sources,
  scope: Type.Optional(CollectionScopeSchema),
  memberWrites: Type.Optional(MemberWrites),
}, { additionalProperties: false });
export type CollectionSettings = Static<typeof CollectionSettingsSchema>;

export const CreateCollectionSchema = Type.Object({
  name: Type.String({ pattern: COLLECTION_NAME_PATTERN }),
  template: Type.Optional(Type.String({ maxLength: 64, description: 'Start from a built-in template: articles, customers, policies, user-events, chat-messages; fields given here replace the template\'s' })),
  textFields: Type.Optional(TextFields),
  titleField: Type.Optional(FieldPath),
  metadata: Type.Optional(Metadata),
  chunking: Type.Optional(Type.Partial(ChunkingSchema)),
  language: Type.Optional(Language),
  sources: Type.Optional(Sources),
  scope: Type.Optional(CollectionScopeSchema),
  memberWrites: Type.Optional(MemberWrites),
}, { additionalProperties: false });
export type CreateCollection = Static<typeof CreateCollectionSchema>;

/** Longest document id (the documents API's path parameter; ids from events are held to it too). */
export const DOCUMENT_ID_MAX_LENGTH = MAX_ID_LENGTH;

/** Path parameter naming a collection (also accepts names the pattern would reject, answered 404). */
export const CollectionName = Type.String({ minLength: 1, maxLength: 64 });
export const CollectionParams = Type.Object({ name: CollectionName });

export const PatchCollectionSchema = Type.Omit(CreateCollectionSchema, ['name', 'template']);
export type PatchCollection = Static<typeof PatchCollectionSchema>;

export const CollectionSchema = Type.Object({
  name: Type.String(),
  template: Type.Union([Type.String(), Type.Null()]),
  ...CollectionSettingsSchema.properties,
  scope: CollectionScopeSchema,
  memberWrites: MemberWrites,
  embedder: Type.Object({ model: Type.String(), dimension: Type.Integer() }),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
  stats: Type.Optional(Type.Object({
    documents: Type.Integer(), chunks: Type.Integer(), indexBytes: Type.Integer(),
    lastIndexedEventId: Type.Union([Type.String(), Type.Null()]),
  })),
});

export { FieldName };
