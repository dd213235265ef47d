/** POST /v1/collections/:name/files: upload text, Markdown, HTML or PDF files as documents. */
import type {} from '@fastify/multipart';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { ProblemSchema } from '../../http/problem.js';
import { AppError } from '../../platform/errors.js';
import type { DocumentsRoutesOptions } from './documents.routes.js';
import { WRITE_DOCUMENT_ROLES, writeDocument } from './documents.routes.js';
import { extractText } from './extract-text.js';

const MAX_FILE_BYTES = 20 * 1024 * 1024;

function slug(fileName: string): string {
  return fileName.toLowerCase().replace(/\.[a-z0-9]+$/, '').replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 200) || 'file';
}

export async function fileRoutes(app: FastifyInstance, options: DocumentsRoutesOptions): Promise<void> {
  app.post('/collections/:name/files', {
    config: { roles: WRITE_DOCUMENT_ROLES },
    schema: {
      tags: ['documents'], summary: 'Upload files (text, Markdown, HTML, PDF) as documents; form field `id` sets the document id of a single file',
      consumes: ['multipart/form-data'], params: Type.Object({ name: Type.String() }),
      querystring: Type.Object({ wait: Type.Boolean({ default: false }) }),
      response: { 202: Type.Object({ items: Type.Array(Type.Object({ documentId: Type.String(), eventId: Type.String(), fileName: Type.String(), characters: Type.Integer(), indexed: Type.Boolean() })) }), 415: ProblemSchema },
    },
  }, async (request, reply) => {
    const { name } = request.params as { name: string };
    const { wait } = request.query as { wait: boolean };
    if (!request.isMultipart()) throw new AppError('UNSUPPORTED_MEDIA_TYPE', { detail: 'send multipart/form-data with one or more files' });
    const collection = await options.collections.get(request.principal.tenant.id, name);
    const textField = collection.settings.textFields.find((f) => f !== collection.settings.titleField) ?? collection.settings.textFields[0]!;
    const titleField = collection.settings.titleField ?? 'title';
    const items = [];
    let explicitId: string | undefined;
    for await (const part of request.parts({ limits: { fileSize: MAX_FILE_BYTES } })) {
      if (part.type === 'field') {
        if (part.fieldname === 'id' && typeof part.value === 'string') explicitId = part.value;
        continue;
      }
      const content = await part.toBuffer();
      const extracted = await extractText(part.filename, part.mimetype, content);
      const documentId = explicitId ?? slug(part.filename);
      explicitId = undefined;
      const fields = { [titleField]: extracted.title ?? part.filename, [textField]: extracted.text, fileName: part.filename, mimeType: part.mimetype, sizeBytes: content.length };
      const result = await writeDocument(options, request.principal, { collection: name, documentId, fields, wait });
      items.push({ documentId, eventId: result.eventId, fileName: part.filename, characters: extracted.text.length, indexed: result.indexed });
    }
    if (items.length === 0) throw new AppError('VALIDATION_FAILED', { detail: 'no file in the upload' });
    return reply.status(202).send({ items });
  });
}
