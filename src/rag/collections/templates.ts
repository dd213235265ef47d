/**
 * Built-in collection templates. `autoCreate` ones appear the first time a matching event arrives.
 * `user-events` and `chat-messages` are per-user (`scope: 'user'`): a member finds only their own.
 * The shared ones take no writes from members' events (`memberWrites: false`).
 */
import type { CollectionSettings } from './collection.schemas.js';

export interface CollectionTemplate {
  name: string;
  autoCreate: boolean;
  settings: CollectionSettings;
}

const chunking = { size: 1200, overlap: 150, markdown: true };

export const TEMPLATES: readonly CollectionTemplate[] = [
  {
    name: 'articles', autoCreate: true,
    settings: {
      textFields: ['name', 'description', 'category'], titleField: 'name', language: 'auto', chunking,
      metadata: { category: 'string', price: 'number', stock: 'number' }, scope: 'shared', memberWrites: false,
      sources: [
        { type: 'article.created', op: 'upsert', idField: 'articleId' },
        { type: 'article.updated', op: 'upsert', idField: 'articleId' },
        { type: 'article.deleted', op: 'delete', idField: 'articleId' },
      ],
    },
  },
  {
    name: 'customers', autoCreate: true,
    settings: {
      textFields: ['name', 'company', 'email', 'notes'], titleField: 'name', language: 'auto', chunking,
      metadata: { company: 'string' }, scope: 'shared', memberWrites: false,
      sources: [{ type: 'customer.created', op: 'upsert', idField: 'customerId' }],
    },
  },
  {
    name: 'policies', autoCreate: false,
    settings: {
      textFields: ['title', 'body'], titleField: 'title', language: 'auto', chunking: { size: 1000, overlap: 150, markdown: true },
      metadata: { category: 'string', effectiveDate: 'string' }, scope: 'shared', memberWrites: false,
      sources: [],
    },
  },
  {
    name: 'user-events', autoCreate: false,
    settings: {
      textFields: ['query', 'title', 'text'], language: 'auto', chunking: { size: 600, overlap: 0, markdown: false }, scope: 'user',
      metadata: { userId: 'string', type: 'string' },
      sources: [
        { type: 'query.executed', op: 'upsert', idField: '$eventId', includeEnvelope: true },
        { type: 'document.uploaded', op: 'upsert', idField: '$eventId', includeEnvelope: true },
      ],
    },
  },
  {
    name: 'chat-messages', autoCreate: false,
    settings: {
      textFields: ['text'], language: 'auto', chunking: { size: 800, overlap: 100, markdown: false }, scope: 'user',
      metadata: { chatId: 'string', channel: 'string', userId: 'string' },
      sources: [{ type: 'message.sent', op: 'upsert', idField: 'messageId' }],
    },
  },
];

export const TEMPLATE_BY_NAME: ReadonlyMap<string, CollectionTemplate> = new Map(TEMPLATES.map((t) => [t.name, t]));
