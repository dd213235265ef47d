/** Answers every error as problem+json with a stable code; unknown errors become INTERNAL (500). */
import type { FastifyError, FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { AppError, isAppError, type ErrorCode } from '../platform/errors.js';
import { redactSecrets } from '../platform/log-redaction.js';
import { isStoreOutage, STORE_RETRY_AFTER_SECONDS } from '../platform/store-outage.js';
import { fieldErrorsFromValidation, sendProblem } from './problem.js';

const FASTIFY_CODES: Record<string, (e: FastifyError) => AppError> = {
  FST_ERR_CTP_BODY_TOO_LARGE: (e) => new AppError('PAYLOAD_TOO_LARGE', { detail: e.message }),
  FST_ERR_CTP_INVALID_MEDIA_TYPE: (e) => new AppError('UNSUPPORTED_MEDIA_TYPE', { detail: e.message }),
  FST_ERR_CTP_EMPTY_JSON_BODY: (e) => new AppError('VALIDATION_FAILED', { detail: e.message }),
  FST_ERR_CTP_INVALID_JSON_BODY: (e) => new AppError('VALIDATION_FAILED', { detail: `body is not valid JSON: ${e.message}` }),
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: (e) => new AppError('VALIDATION_FAILED', { detail: e.message }),
  FST_ERR_BAD_URL: () => new AppError('URL_INVALID', { detail: 'the URL is not valid (malformed percent-encoding)' }),
  FST_ERR_MAX_PARAM_LENGTH: () => new AppError('URI_TOO_LONG', { detail: 'a path parameter is too long' }),
  // @fastify/multipart
  FST_INVALID_MULTIPART_CONTENT_TYPE: () => new AppError('UNSUPPORTED_MEDIA_TYPE', { detail: 'send multipart/form-data' }),
  FST_REQ_FILE_TOO_LARGE: () => new AppError('DOCUMENT_TEXT_TOO_LARGE', { detail: 'an uploaded file is larger than UPLOAD_MAX_BYTES' }),
  FST_FILES_LIMIT: () => new AppError('PAYLOAD_TOO_LARGE', { detail: 'too many files in one upload' }),
  FST_FIELDS_LIMIT: () => new AppError('PAYLOAD_TOO_LARGE', { detail: 'too many form fields in one upload' }),
  FST_PARTS_LIMIT: () => new AppError('PAYLOAD_TOO_LARGE', { detail: 'too many parts in one upload' }),
  FST_PROTO_VIOLATION: (e) => new AppError('VALIDATION_FAILED', { detail: e.message }),
  FST_INVALID_JSON_FIELD_ERROR: (e) => new AppError('VALIDATION_FAILED', { detail: e.message }),
};

/** Codes for other client errors (from Fastify and plugins), by status; any other 4xx keeps its status. */
const CODES_BY_STATUS: Partial<Record<number, ErrorCode>> = {
  400: 'VALIDATION_FAILED', 408: 'REQUEST_TIMEOUT', 413: 'PAYLOAD_TOO_LARGE', 414: 'URI_TOO_LONG',
  415: 'UNSUPPORTED_MEDIA_TYPE', 429: 'RATE_LIMITED', 431: 'HEADERS_TOO_LARGE',
};

/** Errors of the multipart parser (busboy) about a malformed body: a missing boundary, a body cut short. */
const MALFORMED_MULTIPART = /^Multipart: |terminated early|^Unexpected end of (form|multipart)|^Boundary required|^The needle cannot|^Malformed part header/;

export function toAppError(error: FastifyError | Error): AppError {
  if (isAppError(error)) return error;
  const fe = error as FastifyError & { validationContext?: string };
  if (fe.validation) {
    return new AppError('VALIDATION_FAILED', { detail: error.message, errors: fieldErrorsFromValidation(fe.validation, fe.validationContext ?? 'body') });
  }
  if (fe.code && FASTIFY_CODES[fe.code]) return FASTIFY_CODES[fe.code]!(fe);
  if (!fe.code && MALFORMED_MULTIPART.test(error.message)) return new AppError('VALIDATION_FAILED', { detail: `multipart body is malformed: ${error.message}` });
  if (fe instanceof SyntaxError) return new AppError('VALIDATION_FAILED', { detail: error.message });
  const status = typeof fe.statusCode === 'number' ? fe.statusCode : 500;
  const byStatus = CODES_BY_STATUS[status];
  if (byStatus) return new AppError(byStatus, { detail: error.message });
  if (status >= 400 && status < 500) return new AppError('VALIDATION_FAILED', { detail: error.message, status });
  if (isStoreOutage(error)) return new AppError('STORE_UNAVAILABLE', { detail: 'the database cannot be reached right now; retry shortly', cause: error });
  return new AppError('INTERNAL', { detail: 'internal error', cause: error });
}

export const errorsPlugin = fp(async (app: FastifyInstance) => {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const appError = toAppError(error);
    const tenantId = request.principal?.tenant.id;
    if (appError.status >= 500) request.log.error({ err: error, tenantId }, 'request failed');
    else request.log.info({ code: appError.code, detail: redactSecrets(appError.message), tenantId }, 'request rejected'); // a parse error may quote the body
    if (appError.code === 'RATE_LIMITED' && reply.getHeader('retry-after') === undefined) reply.header('retry-after', '60');
    if (appError.code === 'STORE_UNAVAILABLE' && reply.getHeader('retry-after') === undefined) reply.header('retry-after', String(STORE_RETRY_AFTER_SECONDS));
    return sendProblem(reply, appError);
  });
  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, new AppError('ROUTE_NOT_FOUND', { detail: `${request.method} ${request.url.split('?')[0]} is not a route` })));
}, { name: 'errors' });
