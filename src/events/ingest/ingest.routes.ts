/** POST /v1/events and /v1/events/batch: native JSON and CloudEvents (structured, binary, batch). */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { WRITE_EVENT_ROLES } from '../../http/auth.plugin.js';
import { jsonContentParser } from '../../http/json-body.js';
import { ProblemSchema } from '../../http/problem.js';
import { AppError } from '../../platform/errors.js';
import { AcceptedSchema, BatchResultSchema, CloudEventSchema, NativeEventSchema } from '../events.schemas.js';
import type { IngestItem, IngestService, ItemResult } from './ingest.service.js';
import { binaryCloudEventToItem, cloudEventToItem, isBinaryCloudEvent, nativeToItem } from './wire-formats.js';

export interface IngestRoutesOptions {
  ingest: IngestService;
  batchMaxEvents: number;
  batchMaxBytes: number;
}

const CE_JSON = 'application/cloudevents+json';
const CE_BATCH = 'application/cloudevents-batch+json';
const acceptAll = () => () => true; // bodies are checked per item below, so a batch reports each item

function itemFromRequest(request: FastifyRequest, body: unknown): IngestItem {
  const contentType = request.headers['content-type'] ?? '';
  if (contentType.startsWith(CE_JSON)) return cloudEventToItem(body, request.principal, request.server.parseJsonBody);
  if (isBinaryCloudEvent(request.headers)) return binaryCloudEventToItem(request.headers, body, request.principal, request.server.parseJsonBody);
  return nativeToItem(body);
}

export function summarise(results: ItemResult[]) {
  return {
    accepted: results.filter((r) => r.status === 'accepted').length,
    duplicates: results.filter((r) => r.status === 'duplicate').length,
    rejected: results.filter((r) => r.status === 'rejected').length,
    results,
  };
}

export async function ingestRoutes(app: FastifyInstance, options: IngestRoutesOptions): Promise<void> {
  // A binary-mode CloudEvent may have no data: its body is empty even with a JSON content type.
  // Every JSON content type goes through the server's one parser (depth limit, __proto__ rule).
  const jsonParser = jsonContentParser(app.parseJsonBody);
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (body === '' && isBinaryCloudEvent(request.headers)) done(null, undefined);
    else jsonParser(request, body, done);
  });
  app.addContentTypeParser([CE_JSON, CE_BATCH], { parseAs: 'string' }, jsonParser);

  app.post('/events', {
    config: { roles: WRITE_EVENT_ROLES },
    validatorCompiler: acceptAll,
    schema: {
      tags: ['events'],
      summary: 'Send one event (native JSON, or a CloudEvent in structured or binary mode)',
      body: Type.Union([NativeEventSchema, CloudEventSchema]),
      response: { 202: AcceptedSchema, 400: ProblemSchema, 422: ProblemSchema },
    },
  }, async (request, reply) => {
    const accepted = await options.ingest.ingestOne(request.principal, itemFromRequest(request, request.body));
    return reply.status(202).send(accepted);
  });

  app.post('/events/batch', {
    config: { roles: WRITE_EVENT_ROLES },
    bodyLimit: options.batchMaxBytes,
    validatorCompiler: acceptAll,
    schema: {
      tags: ['events'],
      summary: `Send up to ${options.batchMaxEvents} events (native array, {events: [...]}, or a CloudEvents batch)`,
      description: 'Each item is checked on its own: valid items are stored even when others are rejected.',
      body: Type.Union([Type.Array(NativeEventSchema), Type.Object({ events: Type.Array(NativeEventSchema) }), Type.Array(CloudEventSchema)]),
      response: { 202: BatchResultSchema, 413: ProblemSchema },
    },
  }, async (request, reply) => {
    const body = request.body as unknown;
    const list = Array.isArray(body) ? body : (body as { events?: unknown })?.events;
    if (!Array.isArray(list)) throw new AppError('VALIDATION_FAILED', { detail: 'body must be an array of events or {"events": [...]}' });
    if (list.length > options.batchMaxEvents) {
      throw new AppError('BATCH_TOO_LARGE', { detail: `a batch holds at most ${options.batchMaxEvents} events (got ${list.length})` });
    }
    const isCloudEvents = (request.headers['content-type'] ?? '').startsWith(CE_BATCH);
    const items: Array<IngestItem | AppError> = list.map((entry) => {
      try { return isCloudEvents ? cloudEventToItem(entry, request.principal, request.server.parseJsonBody) : nativeToItem(entry); } catch (error) { return error as AppError; }
    });
    const valid = items.flatMap((item, index) => (item instanceof AppError ? [] : [{ item, index }]));
    const stored = await options.ingest.ingest(request.principal, valid.map((v) => v.item));
    const results: ItemResult[] = items.map((item, index) => item instanceof AppError
      ? { index, status: 'rejected' as const, error: { code: item.code, status: item.status, detail: item.message, ...(item.errors ? { errors: item.errors } : {}) } }
      : { index, status: 'accepted' as const, id: '' });
    for (const [i, { index }] of valid.entries()) results[index] = { ...stored[i]!, index };
    return reply.status(202).send(summarise(results));
  });
}
