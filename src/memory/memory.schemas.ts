/** TypeBox schemas of the memory routes: every field bounded, no unknown properties. */
import { Type, type Static } from 'typebox';
import { MAX_ID_LENGTH } from '../platform/ids.js';

export const TITLE_MAX_LENGTH = 200;
/** Characters of one message (the `message.created` catalog schema says the same). */
export const CONTENT_MAX_LENGTH = 32_000;
export const QUERY_MAX_LENGTH = 1000;
export const PAGE_MAX = 200;
export const RECALL_MAX = 50;

/** Ids of chats and messages are UUIDv7 (ids of their events); cursors are such ids. */
const UUID = '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$';
export const Id = Type.String({ pattern: UUID, maxLength: 36 });
const UserId = Type.String({ minLength: 1, maxLength: MAX_ID_LENGTH });
const Title = Type.String({ minLength: 1, maxLength: TITLE_MAX_LENGTH });
const Time = Type.String({ format: 'date-time', maxLength: 64 });

export const RoleSchema = Type.Union([Type.Literal('user'), Type.Literal('assistant'), Type.Literal('system'), Type.Literal('tool')]);
const MetadataValue = Type.Union([Type.String({ maxLength: 1000 }), Type.Number(), Type.Boolean(), Type.Null()]);
const MessageMetadata = Type.Record(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_.-]{0,63}$' }), MetadataValue, {
  maxProperties: 32, additionalProperties: false, description: 'Flat key/value pairs kept with the message (not searchable)',
});

export const NewMessageSchema = Type.Object({
  role: RoleSchema,
  content: Type.String({ minLength: 1, maxLength: CONTENT_MAX_LENGTH }),
  metadata: Type.Optional(MessageMetadata),
}, { additionalProperties: false });
export type NewMessage = Static<typeof NewMessageSchema>;

export const NewChatSchema = Type.Object({
  userId: Type.Optional({ ...UserId, description: 'The chat\'s user; a member key may only name its own user (the default for it)' }),
  title: Type.Optional(Title),
  initialMessage: Type.Optional(NewMessageSchema),
}, { additionalProperties: false });

export const PatchChatSchema = Type.Object({ title: Type.Union([Title, Type.Null()]) }, { additionalProperties: false });

export const ChatParams = Type.Object({ id: Id });
export const ListChatsQuery = Type.Object({
  userId: Type.Optional(UserId),
  limit: Type.Integer({ minimum: 1, maximum: PAGE_MAX, default: 20 }),
  cursor: Type.Optional(Id),
}, { additionalProperties: false });
export const ListMessagesQuery = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: PAGE_MAX, default: 50 }),
  cursor: Type.Optional(Id),
}, { additionalProperties: false });

export const RecallSchema = Type.Object({
  userId: Type.Optional(UserId),
  query: Type.String({ minLength: 1, maxLength: QUERY_MAX_LENGTH }),
  limit: Type.Integer({ minimum: 1, maximum: RECALL_MAX, default: 10 }),
  chatId: Type.Optional(Id),
  from: Type.Optional(Time),
  to: Type.Optional(Time),
}, { additionalProperties: false });

export const ChatSchema = Type.Object({
  id: Type.String(), userId: Type.String(), title: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String({ format: 'date-time' }), updatedAt: Type.String({ format: 'date-time' }),
});
export const MessageSchema = Type.Object({
  id: Type.String(), chatId: Type.String(), role: RoleSchema, content: Type.String(),
  metadata: Type.Union([Type.Record(Type.String(), MetadataValue), Type.Null()]), createdAt: Type.String({ format: 'date-time' }),
});
export const Accepted = Type.Object({ id: Type.String(), eventId: Type.String() });
export const ChatAccepted = Type.Object({ id: Type.String(), eventId: Type.String(), userId: Type.String(), initialMessageId: Type.Union([Type.String(), Type.Null()]) });
export const RecallHit = Type.Object({
  messageId: Type.String(), chatId: Type.String(), role: RoleSchema, content: Type.String(), createdAt: Type.String({ format: 'date-time' }),
  score: Type.Number({ description: 'Hybrid score × 0.5^(age / half-life)' }), highlight: Type.String(),
});
