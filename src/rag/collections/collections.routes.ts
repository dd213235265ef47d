/** /v1/collections: define, inspect, change and delete collections. */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { ADMIN_ONLY } from '../../http/auth.plugin.js';
import { ProblemSchema } from '../../http/problem.js';
import type { SearchIndex } from '../../ports/search-index.port.js';
import { collectionView, memberWritesOf, scopeOf } from '../member-view.js';
import { CollectionParams, CollectionSchema, CreateCollectionSchema, PatchCollectionSchema } from './collection.schemas.js';
import type { Collection, RagStore } from '../store/rag.store.js';
import type { CollectionsService } from './collections.service.js';
import { TEMPLATES } from './templates.js';

export interface CollectionsRoutesOptions {
  collections: CollectionsService;
  repo: RagStore;
  index: SearchIndex;
}

const iso = (ms: number) => new Date(ms).toISOString();

export function collectionJson(c: Collection) {
  return {
    name: c.name, template: c.template, ...c.settings, scope: scopeOf(c), memberWrites: memberWritesOf(c), embedder: { model: c.embedderModel, dimension: c.dimension },
    createdAt: iso(c.createdAt), updatedAt: iso(c.updatedAt),
  };
}

export async function collectionsRoutes(fastify: FastifyInstance, options: CollectionsRoutesOptions): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { collections, repo, index } = options;
  const Name = CollectionParams;

  app.post('/collections', {
    config: { roles: ADMIN_ONLY },
    schema: { tags: ['collections'], summary: 'Create a collection (custom, or from a template)', body: CreateCollectionSchema, response: { 201: CollectionSchema, 400: ProblemSchema, 409: ProblemSchema } },
  }, async (request, reply) => {
    const created = await collections.create(request.principal.tenant.id, request.body);
    return reply.status(201).send(collectionJson(created));
  });

  app.get('/collections', {
    schema: { tags: ['collections'], summary: 'Your collections', response: { 200: Type.Object({ items: Type.Array(CollectionSchema) }) } },
  }, async (request) => ({ items: (await collections.list(request.principal.tenant.id)).map(collectionJson) }));

  app.get('/collections/templates', {
    schema: { tags: ['collections'], summary: 'Built-in collection templates', response: { 200: Type.Object({ items: Type.Array(Type.Object({ name: Type.String(), autoCreate: Type.Boolean(), settings: Type.Unknown() })) }) } },
  }, async () => ({ items: TEMPLATES.map((t) => ({ name: t.name, autoCreate: t.autoCreate, settings: t.settings })) }));

  app.get('/collections/:name', {
    schema: { tags: ['collections'], summary: 'One collection with its stats (members: without stats for a per-user collection)', params: Name, response: { 200: CollectionSchema, 404: ProblemSchema } },
  }, async (request) => {
    const collection = await collections.get(request.principal.tenant.id, request.params.name);
    // Counts and the last indexed event of a per-user collection are about every user's documents.
    if (collectionView(request.principal, collection).kind !== 'all') return collectionJson(collection);
    const ref = { tenantId: collection.tenantId, collection: collection.name };
    const [indexStats, documents] = await Promise.all([index.stats(ref), repo.countDocuments(ref.tenantId, ref.collection)]);
    return {
      ...collectionJson(collection),
      stats: { documents, chunks: indexStats?.chunks ?? 0, indexBytes: indexStats?.sizeBytes ?? 0, lastIndexedEventId: indexStats?.lastSourceEventId ?? null },
    };
  });

  app.patch('/collections/:name', {
    config: { roles: ADMIN_ONLY },
    schema: {
      tags: ['collections'], summary: 'Change a collection; a change of text, chunking, language or embedder re-indexes it by replay',
      params: Name, body: PatchCollectionSchema,
      response: { 200: Type.Object({ ...CollectionSchema.properties, reindexing: Type.Union([Type.Integer(), Type.Null()], { description: 'Events replayed to rebuild the index, or null' }) }), 404: ProblemSchema },
    },
  }, async (request) => {
    const { collection, reindexing } = await collections.update(request.principal.tenant.id, request.params.name, request.body);
    return { ...collectionJson(collection), reindexing };
  });

  app.post('/collections/:name/rebuild', {
    config: { roles: ADMIN_ONLY },
    schema: { tags: ['collections'], summary: 'Rebuild the collection from the event log (replay)', params: Name, response: { 202: Type.Object({ replayed: Type.Integer() }), 404: ProblemSchema } },
  }, async (request, reply) => {
    const collection = await collections.get(request.principal.tenant.id, request.params.name);
    return reply.status(202).send({ replayed: await collections.rebuild(collection) });
  });

  app.delete('/collections/:name', {
    config: { roles: ADMIN_ONLY },
    schema: { tags: ['collections'], summary: 'Delete a collection, its documents and its index', params: Name, response: { 204: Type.Null(), 404: ProblemSchema } },
  }, async (request, reply) => {
    await collections.remove(request.principal.tenant.id, request.params.name);
    return reply.status(204).send(null);
  });
}
