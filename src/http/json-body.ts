/**
 * The one JSON body parser of the server. Every JSON body (application/json, CloudEvents
 * structured and batch, Segment's text/plain, JSON inside `data_base64`) goes through
 * `parseJsonText`: a single linear pass first measures how deeply objects and arrays nest and
 * rejects a body deeper than `REQUEST_MAX_DEPTH` (400 REQUEST_TOO_DEEP) before anything else looks
 * at it; then the text is parsed, and `__proto__` or `constructor.prototype` keys are rejected
 * (400 VALIDATION_FAILED) whatever the content type.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import secureJson from 'secure-json-parse';
import { AppError } from '../platform/errors.js';

export type JsonTextParser = (text: string) => unknown;

/** The default of REQUEST_MAX_DEPTH, for callers outside a request. */
export const DEFAULT_JSON_MAX_DEPTH = 32;

declare module 'fastify' {
  interface FastifyInstance {
    /** Parses JSON text with the server's depth limit and prototype rule (see json-body.ts). */
    parseJsonBody: JsonTextParser;
  }
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;

/**
 * The deepest nesting of objects and arrays in JSON text, counting `{`/`[` outside strings
 * (escapes handled). Stops counting as soon as `limit` is exceeded and returns `limit + 1`.
 * Exact for valid JSON; for invalid JSON the parser rejects the text anyway.
 */
export function jsonNestingDepth(text: string, limit = Number.MAX_SAFE_INTEGER): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) {
      inString = true;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > deepest) {
        deepest = depth;
        if (deepest > limit) return deepest;
      }
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
    }
  }
  return deepest;
}

/** Parses JSON text: depth first (REQUEST_TOO_DEEP), then syntax and prototype keys (VALIDATION_FAILED). */
export function parseJsonText(text: string, maxDepth: number): unknown {
  if (jsonNestingDepth(text, maxDepth) > maxDepth) {
    throw new AppError('REQUEST_TOO_DEEP', { detail: `the JSON body nests objects and arrays deeper than ${maxDepth} levels` });
  }
  try {
    return secureJson.parse(text, null, { protoAction: 'error', constructorAction: 'error' }) as unknown;
  } catch (error) {
    const message = (error as Error).message;
    if (message.includes('forbidden prototype property')) {
      throw new AppError('VALIDATION_FAILED', { detail: 'the body may not contain "__proto__" or "constructor.prototype" keys' });
    }
    const invalid = new AppError('VALIDATION_FAILED', { detail: `body is not valid JSON: ${message}` });
    syntaxErrors.add(invalid);
    throw invalid;
  }
}

const syntaxErrors = new WeakSet<Error>();

/** True for the parser's "not valid JSON" error only (not the depth or prototype rules). */
export function isJsonSyntaxError(error: unknown): boolean {
  return error instanceof Error && syntaxErrors.has(error);
}

/** Fastify content-type parser for JSON bodies; an empty body is an error, as with Fastify's own. */
export function jsonContentParser(parse: JsonTextParser) {
  return (request: FastifyRequest, body: string | Buffer, done: (error: Error | null, value?: unknown) => void): void => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text === '') {
      done(new AppError('VALIDATION_FAILED', { detail: `the body may not be empty when content-type is ${request.headers['content-type'] ?? 'JSON'}` }));
      return;
    }
    try {
      done(null, parse(text));
    } catch (error) {
      done(error as Error);
    }
  };
}

/** Replaces Fastify's JSON parser server-wide and offers the same parser as `app.parseJsonBody`. */
export const jsonBodyPlugin = fp(async (app: FastifyInstance, options: { maxDepth: number }) => {
  const parse: JsonTextParser = (text) => parseJsonText(text, options.maxDepth);
  app.decorate('parseJsonBody', parse);
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, jsonContentParser(parse));
}, { name: 'json-body' });
