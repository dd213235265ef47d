/** RFC 9457 problem details: the one error body of the HTTP API. */
import { Type } from 'typebox';
import type { FastifyReply } from 'fastify';
import { AppError, ERROR_CODES, type FieldError } from '../platform/errors.js';

export const ProblemSchema = Type.Object({
  type: Type.String(),
  title: Type.String(),
  status: Type.Integer(),
  code: Type.String(),
  detail: Type.Optional(Type.String()),
  instance: Type.Optional(Type.String()),
  errors: Type.Optional(Type.Array(Type.Object({ pointer: Type.String(), detail: Type.String() }))),
}, { $id: 'Problem', description: 'RFC 9457 problem details' });

export function problemType(code: string): string {
  return `urn:eventrag:problem:${code.toLowerCase().replace(/_/g, '-')}`;
}

export function problemBody(error: AppError, instance?: string) {
  return {
    type: problemType(error.code),
    title: ERROR_CODES[error.code].title,
    status: error.status,
    code: error.code,
    detail: error.message,
    ...(instance ? { instance } : {}),
    ...(error.errors && error.errors.length > 0 ? { errors: error.errors } : {}),
  };
}

export function sendProblem(reply: FastifyReply, error: AppError): FastifyReply {
  // The path only: a query string may carry a credential (`?access_token=`).
  return reply.status(error.status).type('application/problem+json').send(problemBody(error, reply.request.url.split('?')[0]));
}

/** Converts Ajv errors from Fastify's validator into field errors with JSON pointers. */
export function fieldErrorsFromValidation(
  validation: Array<{ instancePath?: string; message?: string; params?: Record<string, unknown> }>,
  context: string,
): FieldError[] {
  return validation.map((v) => {
    const missing = typeof v.params?.missingProperty === 'string' ? `/${v.params.missingProperty}` : '';
    return { pointer: `/${context}${v.instancePath ?? ''}${missing}`.replace(/^\/body/, ''), detail: v.message ?? 'is not valid' };
  });
}
