/**
 * Document writes go through the event log (`document.upserted` / `document.deleted`), so a replay
 * rebuilds any collection. `?wait=true` answers once the indexer has applied the write.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { ProblemSchema } from '../../http/problem.js';
import { AppError } from '../../platform/errors.js';
import { CollectionName } from '../collections/collection.schemas.js';
import { canReadDocument, collectionView } from '../member-view.js';
import { WRITE_DOCUMENT_ROLES, writeDocument, waitForDocument, type DocumentsRoutesOptions } from './document-writes.js';
import { fileRoutes } from './files.routes.js';
import { MAX_ID_LENGTH } from '../../platform/ids.js';

const DocumentId = Type.String({ minLength: 1, maxLength: MAX_ID_LENGTH });
const Fields = Type.Record(Type.String(), Type.Unknown(), { description: 'The document: the collection decides which fields are text, title and metadata' });
const Params = Type.Object({ name: CollectionName, id: DocumentId });
const Wait = Type.Object({ wait: Type.Boolean({ default: false, description: 'Answer after the write is indexed (up to 10 s)' }) });
const WriteResult = Type.Object({
  documentId: Type.String(), eventId: Type.String(), duplicate: Type.Boolean(),
  indexed: Type.Boolean({ description: 'True when the indexer has applied it (with wait=true)' }),
});

export async function documentsRoutes(fastify: FastifyInstance, options: DocumentsRoutesOptions): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

  app.put('/collections/:name/documents/:id', {
    config: { roles: WRITE_DOCUMENT_ROLES },
    schema: { tags: ['documents'], summary: 'Create or replace a document', params: Params, querystring: Wait, body: Fields, response: { 200: WriteResult, 202: WriteResult, 404: ProblemSchema } },
  }, async (request, reply) => {
    const result = await writeDocument(options, request.principal, { collection: request.params.name, documentId: request.params.id, fields: request.body, wait: request.query.wait });
    return reply.status(result.indexed ? 200 : 202).send(result);
  });

  app.post('/collections/:name/documents', {
    config: { roles: WRITE_DOCUMENT_ROLES },
    schema: {
      tags: ['documents'], summary: 'Upsert up to 1,000 documents', params: Type.Object({ name: CollectionName }), querystring: Wait,
      body: Type.Object({ documents: Type.Array(Type.Object({ id: DocumentId, fields: Fields }), { minItems: 1, maxItems: 1000 }) }),
      response: { 202: Type.Object({ items: Type.Array(WriteResult) }), 404: ProblemSchema },
    },
  }, async (request, reply) => {
    const { name } = request.params;
    await options.collections.get(request.principal.tenant.id, name);
    const results = await options.ingest.ingest(request.principal, request.body.documents.map((d) => ({
      type: 'document.upserted', data: { collection: name, documentId: d.id, fields: d.fields },
    })));
    const items = await Promise.all(results.map(async (r, i) => {
      if (r.status === 'rejected') throw new AppError('VALIDATION_FAILED', { detail: `document ${i}: ${r.error.detail}` });
      const documentId = request.body.documents[i]!.id;
      const indexed = request.query.wait ? await waitForDocument(options.repo, request.principal.tenant.id, name, documentId, r.id, options.waitMs ?? 10_000) : false;
      return { documentId, eventId: r.id, duplicate: r.status === 'duplicate', indexed };
    }));
    return reply.status(202).send({ items });
  });

  app.delete('/collections/:name/documents/:id', {
    config: { roles: WRITE_DOCUMENT_ROLES },
    schema: { tags: ['documents'], summary: 'Delete a document', params: Params, querystring: Wait, response: { 200: WriteResult, 202: WriteResult, 404: ProblemSchema } },
  }, async (request, reply) => {
    const result = await writeDocument(options, request.principal, { collection: request.params.name, documentId: request.params.id, fields: null, wait: request.query.wait });
    return reply.status(result.indexed ? 200 : 202).send(result);
  });

  app.get('/collections/:name/documents/:id', {
    schema: {
      tags: ['documents'], summary: 'A document as indexed (members: within their view)', params: Params,
      response: { 200: Type.Object({ id: Type.String(), fields: Fields, contentHash: Type.String(), sourceEventId: Type.String(), updatedAt: Type.String({ format: 'date-time' }) }), 404: ProblemSchema },
    },
  }, async (request) => {
    const collection = await options.collections.get(request.principal.tenant.id, request.params.name);
    const doc = await options.repo.getDocument(request.principal.tenant.id, request.params.name, request.params.id);
    // Another user's document of a per-user collection is, for a member, a document that does not exist.
    const visible = doc && !doc.deleted && doc.fields && canReadDocument(collectionView(request.principal, collection), doc.fields);
    if (!visible || !doc.fields) throw new AppError('NOT_FOUND', { detail: `no document ${request.params.id} in ${request.params.name}` });
    return { id: doc.id, fields: doc.fields, contentHash: doc.contentHash ?? '', sourceEventId: doc.sourceEventId, updatedAt: new Date(doc.updatedAt).toISOString() };
  });

  await fileRoutes(fastify, options);
}
