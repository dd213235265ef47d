/**
 * POST /v1/collections/:name/files: upload text, Markdown, HTML or PDF files as documents.
 * Every file is read and checked first (size, name, text, event size) and only then written,
 * so a rejected upload writes nothing.
 */
import type { MultipartFile, MultipartValue } from '@fastify/multipart';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { ProblemSchema } from '../../http/problem.js';
import { AppError } from '../../platform/errors.js';
import { WRITE_DOCUMENT_ROLES, writeDocument, type DocumentsRoutesOptions } from './document-writes.js';
import { fileKind, TextExtractor, textTooLarge } from './extract-text.js';
import { watchClosingDelimiter } from './multipart-end.js';
import { MAX_ID_LENGTH } from '../../platform/ids.js';

/** Limits of uploads (from the configuration: UPLOAD_*, EVENT_MAX_BYTES). */
export interface UploadSettings {
  maxFileBytes: number;
  maxTextBytes: number;
  /** A file becomes one `document.upserted` event; its data may not be larger than this. */
  maxEventBytes: number;
  extractTimeoutMs: number;
  extractMemoryMb: number;
}

export const DEFAULT_UPLOADS: UploadSettings = {
  maxFileBytes: 20 * 1024 * 1024, maxTextBytes: 1024 * 1024, maxEventBytes: 256 * 1024, extractTimeoutMs: 10_000, extractMemoryMb: 256,
};
/** Files and form fields one upload request may carry; a form field's value is at most 1 KiB. */
export const UPLOAD_MAX_FILES = 20;
const UPLOAD_MAX_FIELDS = 20;
const FIELD_MAX_BYTES = 1024;
const DOCUMENT_ID_MAX = MAX_ID_LENGTH;
const FILE_NAME_MAX = 255;
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

interface ReadyFile { documentId: string; fileName: string; fields: Record<string, unknown>; characters: number }

function slug(fileName: string): string {
  return fileName.toLowerCase().replace(/\.[a-z0-9]+$/, '').replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 200) || 'file';
}

function invalid(pointer: string, detail: string): AppError {
  return new AppError('VALIDATION_FAILED', { detail, errors: [{ pointer, detail }] });
}

/** The `id` form field: a document id (1 to 256 characters). */
function documentIdField(part: MultipartValue): string {
  const value = typeof part.value === 'string' ? part.value : '';
  if (part.valueTruncated || value.length > DOCUMENT_ID_MAX) throw invalid('/id', `a document id has at most ${DOCUMENT_ID_MAX} characters`);
  if (value.length === 0) throw invalid('/id', 'a document id may not be empty');
  return value;
}

function checkFilePart(part: MultipartFile): void {
  const name = part.filename;
  if (!name) throw invalid(`/${part.fieldname}`, 'every file part needs a filename (Content-Disposition: form-data; name="file"; filename="…")');
  if (name.length > FILE_NAME_MAX) throw invalid(`/${part.fieldname}`, `a file name has at most ${FILE_NAME_MAX} characters`);
  if (CONTROL_CHARACTERS.test(name)) throw invalid(`/${part.fieldname}`, 'a file name may not contain control characters');
  if (part.mimetype.length > FILE_NAME_MAX) throw invalid(`/${part.fieldname}`, `a content type has at most ${FILE_NAME_MAX} characters`);
}

const fileTooLarge = (fileName: string, limit: number) => new AppError('DOCUMENT_TEXT_TOO_LARGE', {
  detail: `${fileName} is larger than ${limit} bytes, the largest file an upload may carry (UPLOAD_MAX_BYTES)`, details: { limitBytes: limit },
});

/** The chunks of a file part; the parser closing it early (a body cut short) is the sender's error. */
async function* partChunks(part: MultipartFile): AsyncGenerator<Buffer> {
  try {
    yield* part.file as AsyncIterable<Buffer>;
  } catch (error) {
    if ((error as { code?: string }).code !== 'ERR_STREAM_PREMATURE_CLOSE') throw error;
    throw new AppError('VALIDATION_FAILED', { detail: `multipart body is malformed: ${part.filename} ends before its part does` });
  }
}

/** Reads a file part into a buffer of its own, refusing it (413) as soon as it is over `maxBytes`. */
async function readPart(part: MultipartFile, maxBytes: number, tooLarge: () => AppError): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of partChunks(part)) {
    size += chunk.length;
    if (size > maxBytes || part.file.truncated) throw tooLarge();
    chunks.push(chunk);
  }
  if (part.file.truncated) throw tooLarge();
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) { bytes.set(chunk, at); at += chunk.length; }
  return bytes;
}

function eventTooLarge(fileName: string, bytes: number, limit: number): AppError {
  return new AppError('DOCUMENT_TEXT_TOO_LARGE', {
    detail: `${fileName} would be stored as a document event of ${bytes} bytes; the event size limit (EVENT_MAX_BYTES) is ${limit} bytes: split the file`,
    details: { limitBytes: limit, eventBytes: bytes },
  });
}

async function extractPart(part: MultipartFile, tenantId: string, extractor: TextExtractor, uploads: UploadSettings) {
  const kind = fileKind(part.filename, part.mimetype);
  const release = extractor.reserve(kind, tenantId);
  try {
    // A text or Markdown file is its text: it may be no larger than the text limit either.
    const textLimited = kind !== 'html' && kind !== 'pdf' && extractor.maxTextBytes < uploads.maxFileBytes;
    const content = await readPart(part, textLimited ? extractor.maxTextBytes : uploads.maxFileBytes,
      () => (textLimited ? textTooLarge(part.filename, extractor.maxTextBytes) : fileTooLarge(part.filename, uploads.maxFileBytes)));
    const sizeBytes = content.length;
    return { extracted: await extractor.extract(part.filename, part.mimetype, content, tenantId), sizeBytes };
  } finally {
    release();
  }
}

async function readFiles(request: FastifyRequest, collectionName: string, fieldNames: { text: string; title: string }, extractor: TextExtractor, uploads: UploadSettings): Promise<ReadyFile[]> {
  const ready: ReadyFile[] = [];
  let explicitId: string | undefined;
  const limits = { fileSize: uploads.maxFileBytes, files: UPLOAD_MAX_FILES, fields: UPLOAD_MAX_FIELDS, fieldSize: FIELD_MAX_BYTES, parts: UPLOAD_MAX_FILES + UPLOAD_MAX_FIELDS };
  const parts = request.parts({ limits });
  const ended = watchClosingDelimiter(request.raw); // attached in the same tick as the parser, so both see every byte
  for await (const part of parts) {
    if (part.type === 'field') {
      if (part.fieldname === 'id') explicitId = documentIdField(part);
      continue;
    }
    checkFilePart(part);
    const { extracted, sizeBytes } = await extractPart(part, request.principal.tenant.id, extractor, uploads);
    const documentId = explicitId ?? slug(part.filename);
    explicitId = undefined;
    const fields = { [fieldNames.title]: extracted.title ?? part.filename, [fieldNames.text]: extracted.text, fileName: part.filename, mimeType: part.mimetype, sizeBytes };
    const eventBytes = Buffer.byteLength(JSON.stringify({ collection: collectionName, documentId, fields }), 'utf8');
    if (eventBytes > uploads.maxEventBytes) throw eventTooLarge(part.filename, eventBytes, uploads.maxEventBytes);
    ready.push({ documentId, fileName: part.filename, fields, characters: extracted.text.length });
  }
  if (!ended()) throw new AppError('VALIDATION_FAILED', { detail: 'multipart body is malformed: it ends before its closing boundary' });
  return ready;
}

export async function fileRoutes(app: FastifyInstance, options: DocumentsRoutesOptions): Promise<void> {
  const uploads = options.uploads ?? DEFAULT_UPLOADS;
  // Text past the event size limit could never be stored, so extraction stops there too.
  const extractor = new TextExtractor({
    maxTextBytes: Math.min(uploads.maxTextBytes, uploads.maxEventBytes), timeoutMs: uploads.extractTimeoutMs, memoryMb: uploads.extractMemoryMb,
  });
  app.addHook('onClose', async () => extractor.close());

  app.post('/collections/:name/files', {
    config: { roles: WRITE_DOCUMENT_ROLES },
    schema: {
      tags: ['documents'],
      summary: `Upload up to ${UPLOAD_MAX_FILES} files (text, Markdown, HTML, PDF) as documents; form field \`id\` sets the document id of the next file`,
      consumes: ['multipart/form-data'], params: Type.Object({ name: Type.String() }),
      querystring: Type.Object({ wait: Type.Boolean({ default: false }) }),
      response: {
        202: Type.Object({ items: Type.Array(Type.Object({ documentId: Type.String(), eventId: Type.String(), fileName: Type.String(), characters: Type.Integer(), indexed: Type.Boolean() })) }),
        400: ProblemSchema, 413: ProblemSchema, 415: ProblemSchema, 422: ProblemSchema, 429: ProblemSchema,
      },
    },
  }, async (request, reply) => {
    const { name } = request.params as { name: string };
    const { wait } = request.query as { wait: boolean };
    if (!request.isMultipart()) throw new AppError('UNSUPPORTED_MEDIA_TYPE', { detail: 'send multipart/form-data with one or more files' });
    const collection = await options.collections.get(request.principal.tenant.id, name);
    const text = collection.settings.textFields.find((f) => f !== collection.settings.titleField) ?? collection.settings.textFields[0]!;
    const files = await readFiles(request, name, { text, title: collection.settings.titleField ?? 'title' }, extractor, uploads).catch((error: unknown) => {
      // The rest of a refused upload is never read: close the connection after the answer, so no
      // client sends its next request on a socket that still holds half a body.
      reply.header('connection', 'close');
      throw error;
    });
    if (files.length === 0) throw new AppError('VALIDATION_FAILED', { detail: 'no file in the upload' });
    const items = [];
    for (const file of files) {
      const result = await writeDocument(options, request.principal, { collection: name, documentId: file.documentId, fields: file.fields, wait });
      items.push({ documentId: file.documentId, eventId: result.eventId, fileName: file.fileName, characters: file.characters, indexed: result.indexed });
    }
    return reply.status(202).send({ items });
  });
}
