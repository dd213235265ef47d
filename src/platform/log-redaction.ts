/**
 * What pino masks before a line is written: credential headers (by path), credential query
 * parameters in every logged URL (`?access_token=`, `?token=`, `?writeKey=`, …), and anything
 * shaped like an eventrag API key or a JWT in a URL or an error message.
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

/** Query parameters whose value is a credential. */
const CREDENTIAL_PARAMS = ['access_token', 'id_token', 'refresh_token', 'token', 'api_key', 'apikey', 'key', 'writekey', 'password', 'secret', 'auth', 'jwt'];
const QUERY_CREDENTIAL = new RegExp(`([?&;](?:${CREDENTIAL_PARAMS.join('|')})=)[^&#\\s"']*`, 'gi');
const API_KEY = /\ber_(?:admin|ingest|member)_[A-Za-z0-9_-]+/g;
const JWT = /\beyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g;

/** Masks credential query values, API keys and JWTs in a URL or any other text. */
export function redactSecrets(text: string): string {
  return text.replace(QUERY_CREDENTIAL, `$1${REDACTED}`).replace(API_KEY, REDACTED).replace(JWT, REDACTED);
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
    url: typeof req.url === 'string' ? redactSecrets(req.url) : req.url,
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
  url: (url: unknown) => (typeof url === 'string' ? redactSecrets(url) : url),
};
