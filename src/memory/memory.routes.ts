/**
 * /v1/memory: chats, their messages and recall (docs/memory.md). Writes answer once the log has
 * accepted their event (201 or 202 with the id); reads come from the `memory` projection and may
 * be a moment behind. Admin and member keys only; a member acts for their own user alone.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { scopedUser } from '../http/auth.plugin.js';
import { optionalInstant } from '../http/instants.js';
import { ProblemSchema } from '../http/problem.js';
import type { Principal } from '../identity/principal.js';
import { AppError } from '../platform/errors.js';
import type { ChatsService } from './chats.service.js';
import {
  Accepted, ChatAccepted, ChatParams, ChatSchema, ListChatsQuery, ListMessagesQuery, MessageSchema, NewChatSchema, NewMessageSchema,
  PatchChatSchema, RecallHit, RecallSchema,
} from './memory.schemas.js';
import type { Chat, MemoryStore, Message } from './memory.store.js';
import type { RecallService } from './recall.service.js';

export interface MemoryRoutesOptions {
  chats: ChatsService;
  store: MemoryStore;
  recall: RecallService;
}

const iso = (ms: number) => new Date(ms).toISOString();
const chatView = (c: Chat) => ({ id: c.id, userId: c.userId, title: c.title, createdAt: iso(c.createdAt), updatedAt: iso(c.updatedAt) });
const messageView = (m: Message) => ({ id: m.id, chatId: m.chatId, role: m.role, content: m.content, metadata: m.metadata, createdAt: iso(m.createdAt) });
const tags = ['memory'];

/** The user a request is about: a member's own, or the one an admin names (required for admins). */
function userFor(principal: Principal, requested: string | undefined, pointer: string): string {
  const userId = scopedUser(principal, requested);
  if (userId === undefined) {
    throw new AppError('VALIDATION_FAILED', { detail: 'name the user (userId)', errors: [{ pointer, detail: 'required for an admin key' }] });
  }
  return userId;
}

export async function memoryRoutes(fastify: FastifyInstance, options: MemoryRoutesOptions): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { chats, store, recall } = options;

  app.post('/memory/chats', {
    schema: { tags, summary: 'Start a chat (optionally with its first message)', body: NewChatSchema, response: { 201: ChatAccepted, 400: ProblemSchema, 403: ProblemSchema } },
  }, async (request, reply) => {
    const userId = userFor(request.principal, request.body.userId, '/userId');
    const created = await chats.create(request.principal, userId, request.body.title, request.body.initialMessage);
    return reply.status(201).send({ id: created.id, eventId: created.id, userId, initialMessageId: created.initialMessageId });
  });

  app.get('/memory/chats', {
    schema: { tags, summary: 'A user\'s chats, newest first', querystring: ListChatsQuery, response: { 200: Type.Object({ items: Type.Array(ChatSchema), nextCursor: Type.Union([Type.String(), Type.Null()]) }), 403: ProblemSchema } },
  }, async (request) => {
    const userId = userFor(request.principal, request.query.userId, '/userId');
    const page = await store.listChats(request.principal.tenant.id, userId, request.query.cursor ?? null, request.query.limit);
    return { items: page.items.map(chatView), nextCursor: page.nextCursor };
  });

  app.get('/memory/chats/:id', {
    schema: { tags, summary: 'One chat', params: ChatParams, response: { 200: ChatSchema, 404: ProblemSchema } },
  }, async (request) => chatView(await chats.visible(request.principal, request.params.id)));

  app.patch('/memory/chats/:id', {
    schema: { tags, summary: 'Rename a chat', params: ChatParams, body: PatchChatSchema, response: { 202: Accepted, 404: ProblemSchema } },
  }, async (request, reply) => {
    const eventId = await chats.rename(request.principal, request.params.id, request.body.title);
    return reply.status(202).send({ id: request.params.id, eventId });
  });

  app.delete('/memory/chats/:id', {
    schema: { tags, summary: 'Delete a chat and its messages (from recall too)', params: ChatParams, response: { 202: Accepted, 404: ProblemSchema } },
  }, async (request, reply) => {
    const eventId = await chats.remove(request.principal, request.params.id);
    return reply.status(202).send({ id: request.params.id, eventId });
  });

  app.post('/memory/chats/:id/messages', {
    schema: { tags, summary: 'Add a message to a chat', params: ChatParams, body: NewMessageSchema, response: { 201: Accepted, 404: ProblemSchema } },
  }, async (request, reply) => {
    const id = await chats.addMessage(request.principal, request.params.id, request.body);
    return reply.status(201).send({ id, eventId: id });
  });

  app.get('/memory/chats/:id/messages', {
    schema: { tags, summary: 'A chat\'s messages, oldest first', params: ChatParams, querystring: ListMessagesQuery, response: { 200: Type.Object({ items: Type.Array(MessageSchema), nextCursor: Type.Union([Type.String(), Type.Null()]) }), 404: ProblemSchema } },
  }, async (request) => {
    const chat = await chats.visible(request.principal, request.params.id);
    const page = await store.listMessages(request.principal.tenant.id, chat.id, request.query.cursor ?? null, request.query.limit);
    return { items: page.items.map(messageView), nextCursor: page.nextCursor };
  });

  app.post('/memory/search', {
    schema: {
      tags, summary: 'Recall a user\'s most relevant past messages (hybrid search, recency-weighted)', body: RecallSchema,
      response: { 200: Type.Object({ items: Type.Array(RecallHit), halfLifeDays: Type.Number() }), 400: ProblemSchema, 403: ProblemSchema },
    },
  }, async (request) => {
    const { body, principal } = request;
    const userId = userFor(principal, body.userId, '/userId');
    const from = optionalInstant(body.from, '/from');
    const to = optionalInstant(body.to, '/to');
    const items = await recall.recall({
      tenantId: principal.tenant.id, userId, query: body.query, limit: body.limit,
      ...(body.chatId === undefined ? {} : { chatId: body.chatId }), ...(from === undefined ? {} : { from }), ...(to === undefined ? {} : { to }),
    });
    return {
      items: items.map(({ message, score, highlight }) => ({ messageId: message.id, chatId: message.chatId, role: message.role, content: message.content, createdAt: iso(message.createdAt), score, highlight })),
      halfLifeDays: recall.halfLifeDays,
    };
  });
}
