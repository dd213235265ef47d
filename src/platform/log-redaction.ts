/**
 * What pino masks before a line is written: credential headers (by path); in every logged URL the
 * values of all query parameters but the API's own, and any path segment or value that holds a
 * key; anything shaped like an eventrag API key or a JWT in an error message. URLs and messages
 * are percent-decoded (safely) before they are searched.
 */
import { stdSerializers } from 'pino';

export const REDACTED = '[redacted]';

const CREDENTIAL_HEADERS = ['authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'x-api-key'];

/** Paths pino masks in every log line (headers wherever a request or response is logged). */
export const REDACT_PATHS = [
  ...CREDENTIAL_HEADERS.flatMap((header) => [`req.headers["${header}"]`, `res.headers["${header}"]`, `headers["${header}"]`, `request.headers["${header}"]`]),
  '*.password',
  '*.token',
  '*.secret',
  '*.apiKey',
  '*.writeKey',
  '*.access_token',
  'key',
];

/**
 * Query parameters of the API whose values are logged (unless they hold a key or a JWT). Every
 * other parameter is logged by name only: a credential can hide under any name
 * (`?authorization=Bearer …`, `?client_secret=`, `?x=…`).
 */
const LOGGED_PARAMS = new Set(['types', 'type', 'userid', 'from', 'to', 'status', 'consumer', 'limit', 'cursor', 'wait']);

/** Parameter names whose value is masked in free text (error messages that quote a URL). */
const CREDENTIAL_PARAMS = [
  'access_token', 'id_token', 'refresh_token', 'token', 'api_key', 'api-key', 'x-api-key', 'apikey', 'key', 'writekey', 'password', 'passwd',
  'secret', 'client_secret', 'auth', 'authorization', 'bearer', 'credentials', 'credential', 'jwt', 'cookie',
];
const QUERY_CREDENTIAL = new RegExp(`([?&;](?:${CREDENTIAL_PARAMS.join('|')})=)[^&#\\s"']*`, 'gi');

/** Runs of base64url characters and dots: keys and JWTs are made of them, anything else ends one. */
const TOKEN = /[A-Za-z0-9_.-]+/g;
/** An eventrag key's prefix, not inside a word (`user_member_id` is not one; `0er_member_…` is). */
const KEY_PREFIX = /(?<![A-Za-z])er_(?:admin|ingest|member)_/;
const JWT_HEADER = /(?<![A-Za-z])eyJ/;
const ENCODED_RUN = /(?:%[0-9A-Fa-f]{2})+/g;
const ASCII_ESCAPE = /%([0-7][0-9A-Fa-f])/g;

/** A run of `%XX`: decoded as UTF-8; when that is not valid, its ASCII escapes only. Never throws. */
function decodeRun(run: string): string {
  try {
    return decodeURIComponent(run);
  } catch {
    return run.replace(ASCII_ESCAPE, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
  }
}

/** Percent-decodes text up to three times (`%255F` is `%5F` is `_`); malformed escapes stay as they are. */
export function percentDecode(text: string): string {
  let current = text;
  for (let round = 0; round < 3 && current.includes('%'); round++) {
    const next = current.replace(ENCODED_RUN, decodeRun);
    if (next === current) break;
    current = next;
  }
  return current;
}

/** Whether a token is (or contains) an eventrag key or a JWT (`header.payload.signature`). */
function isSecretToken(token: string): boolean {
  if (KEY_PREFIX.test(token)) return true;
  const parts = token.split('.');
  return parts.length >= 3 && parts.slice(0, -2).some((part) => JWT_HEADER.test(part));
}

function maskTokens(text: string): string {
  return text.replace(TOKEN, (token) => (isSecretToken(token) ? REDACTED : token));
}

/** Whether text, percent-decoded, holds a key or a JWT anywhere. */
function holdsSecret(text: string): boolean {
  for (const match of percentDecode(text).matchAll(TOKEN)) if (isSecretToken(match[0])) return true;
  return false;
}

/** One `name=value` of a query string: the value is kept only for the API's own parameters. */
function redactParam(pair: string): string {
  const eq = pair.indexOf('=');
  const name = eq === -1 ? pair : pair.slice(0, eq);
  if (holdsSecret(name)) return REDACTED;
  if (eq === -1 || eq === pair.length - 1) return pair;
  const known = LOGGED_PARAMS.has(percentDecode(name.replace(/\+/g, ' ')).trim().toLowerCase());
  return known && !holdsSecret(pair.slice(eq + 1)) ? pair : `${name}=${REDACTED}`;
}

/**
 * A URL as logged: path segments holding a key or a JWT (percent-decoded) are masked, query values
 * are kept only for the API's own parameters and only when they hold no key or JWT, the fragment
 * is dropped. Everything else is logged as received.
 */
export function redactUrl(url: string): string {
  const hash = url.indexOf('#');
  const withoutHash = hash === -1 ? url : url.slice(0, hash);
  const q = withoutHash.indexOf('?');
  const path = (q === -1 ? withoutHash : withoutHash.slice(0, q)).split('/').map((segment) => (holdsSecret(segment) ? REDACTED : segment)).join('/');
  return q === -1 ? path : `${path}?${withoutHash.slice(q + 1).replace(/[^&;]+/g, redactParam)}`;
}

/**
 * Masks credential query values, API keys and JWTs in any text (error messages), percent-encoded
 * or not. Text without a credential is returned as it is.
 */
export function redactSecrets(text: string): string {
  const decoded = percentDecode(text);
  const masked = maskTokens(decoded.replace(QUERY_CREDENTIAL, `$1${REDACTED}`));
  return masked === decoded ? text : masked;
}

interface LoggedRequest {
  method?: string;
  url?: string;
  host?: string;
  ip?: string;
  headers?: Record<string, unknown>;
  socket?: { remoteAddress?: string; remotePort?: number } | null;
}

/** Fastify's request serializer, with the URL redacted (and never the headers). */
function requestSerializer(req: LoggedRequest) {
  return {
    method: req.method,
    url: typeof req.url === 'string' ? redactUrl(req.url) : req.url,
    host: req.host ?? (typeof req.headers?.host === 'string' ? req.headers.host : undefined),
    remoteAddress: req.ip ?? req.socket?.remoteAddress,
    remotePort: req.socket?.remotePort,
  };
}

/** pino's error serializer, with credentials masked in the message and stack (some carry the URL). */
function errorSerializer(err: Error) {
  const serialized = stdSerializers.err(err) as unknown as Record<string, unknown>;
  for (const field of ['message', 'stack']) {
    if (typeof serialized[field] === 'string') serialized[field] = redactSecrets(serialized[field] as string);
  }
  return serialized;
}

/** Serializers for every logger: `req` and `err` (what Fastify logs) and a bare `url`. */
export const logSerializers = {
  req: requestSerializer,
  err: errorSerializer,
  url: (url: unknown) => (typeof url === 'string' ? redactUrl(url) : url),
};
