/** Answers every error as problem+json with a stable code; unknown errors become INTERNAL (500). */
import type { FastifyError, FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { AppError, isAppError } from '../platform/errors.js';
import { fieldErrorsFromValidation, sendProblem } from './problem.js';

const FASTIFY_CODES: Record<string, (e: FastifyError) => AppError> = {
  FST_ERR_CTP_BODY_TOO_LARGE: (e) => new AppError('PAYLOAD_TOO_LARGE', { detail: e.message }),
  FST_ERR_CTP_INVALID_MEDIA_TYPE: (e) => new AppError('UNSUPPORTED_MEDIA_TYPE', { detail: e.message }),
  FST_ERR_CTP_EMPTY_JSON_BODY: (e) => new AppError('VALIDATION_FAILED', { detail: e.message }),
  FST_ERR_CTP_INVALID_JSON_BODY: (e) => new AppError('VALIDATION_FAILED', { detail: `body is not valid JSON: ${e.message}` }),
};

export function toAppError(error: FastifyError | Error): AppError {
  if (isAppError(error)) return error;
  const fe = error as FastifyError & { validationContext?: string };
  if (fe.validation) {
    return new AppError('VALIDATION_FAILED', { detail: error.message, errors: fieldErrorsFromValidation(fe.validation, fe.validationContext ?? 'body') });
  }
  if (fe.code && FASTIFY_CODES[fe.code]) return FASTIFY_CODES[fe.code]!(fe);
  if (fe instanceof SyntaxError || fe.statusCode === 400) return new AppError('VALIDATION_FAILED', { detail: error.message });
  if (fe.statusCode === 429) return new AppError('RATE_LIMITED', { detail: error.message });
  if (fe.statusCode === 413) return new AppError('PAYLOAD_TOO_LARGE', { detail: error.message });
  if (fe.statusCode === 415) return new AppError('UNSUPPORTED_MEDIA_TYPE', { detail: error.message });
  return new AppError('INTERNAL', { detail: 'internal error', cause: error });
}

export const errorsPlugin = fp(async (app: FastifyInstance) => {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const appError = toAppError(error);
    const tenantId = request.principal?.tenant.id;
    if (appError.status >= 500) request.log.error({ err: error, tenantId }, 'request failed');
    else request.log.info({ code: appError.code, detail: appError.message, tenantId }, 'request rejected');
    if (appError.code === 'RATE_LIMITED' && reply.getHeader('retry-after') === undefined) reply.header('retry-after', '60');
    return sendProblem(reply, appError);
  });
  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, new AppError('ROUTE_NOT_FOUND', { detail: `${request.method} ${request.url.split('?')[0]} is not a route` })));
}, { name: 'errors' });
