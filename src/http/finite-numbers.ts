/**
 * Querystring and path numbers are coerced from text by the route schema, and Ajv's coercion
 * turns `1e309` into Infinity and then skips `minimum`/`maximum` for it. This hook, after
 * validation and before any handler, answers 400 VALIDATION_FAILED for any number in the query
 * or the path that is not finite, so no route can pass ±Infinity on to a store.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { AppError, type FieldError } from '../platform/errors.js';

function nonFinite(part: 'querystring' | 'params', values: unknown): FieldError[] {
  if (values === null || typeof values !== 'object') return [];
  const errors: FieldError[] = [];
  for (const [name, value] of Object.entries(values as Record<string, unknown>)) {
    const list = Array.isArray(value) ? value : [value];
    if (list.some((v) => typeof v === 'number' && !Number.isFinite(v))) errors.push({ pointer: `/${part}/${name}`, detail: 'must be a finite number' });
  }
  return errors;
}

export const finiteNumbersPlugin = fp(async (app: FastifyInstance) => {
  app.addHook('preHandler', async (request: FastifyRequest) => {
    const errors = [...nonFinite('querystring', request.query), ...nonFinite('params', request.params)];
    if (errors.length > 0) {
      throw new AppError('VALIDATION_FAILED', { detail: `${errors.map((e) => e.pointer.slice(1)).join(', ')} must be a finite number`, errors });
    }
  });
}, { name: 'finite-numbers' });
