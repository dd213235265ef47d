/**
 * The server's configuration: one TypeBox schema, read from the environment and an optional
 * JSON config file (`CONFIG_FILE`, same keys as the environment; the environment wins).
 * This module is the only reader of `process.env`. Every invalid value is reported at once.
 */
import { readFileSync } from 'node:fs';
import { Type, type Static } from 'typebox';
import { Value } from 'typebox/value';
import { AppError } from './platform/errors.js';

const csv = (description: string, defaults: string) => Type.String({ default: defaults, description });
const bool = (defaults: boolean, description: string) => Type.Boolean({ default: defaults, description });
const int = (defaults: number, min: number, description: string, max?: number) =>
  Type.Integer({ default: defaults, minimum: min, ...(max === undefined ? {} : { maximum: max }), description });
const optionalUrl = (description: string) => Type.Optional(Type.String({ minLength: 1, description }));

export const DEFAULT_SENSITIVE_KEYS =
  'password,passwd,pwd,token,accessToken,refreshToken,secret,clientSecret,authorization,apiKey,api_key,cookie,setCookie,creditCard,cardNumber,cvv,cvc,iban,ssn,socialSecurityNumber,privateKey';

export const ConfigSchema = Type.Object({
  PORT: int(3000, 0, 'HTTP port', 65535),
  HOST: Type.String({ default: '0.0.0.0', description: 'Interface to listen on' }),
  DATA_DIR: Type.String({ default: './data', minLength: 1, description: 'Where the embedded store and indexes live' }),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((level) => Type.Literal(level)),
    { default: 'info', description: 'pino log level' },
  ),
  LOG_FORMAT: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('pretty')], {
    description: 'json = one JSON object per line; pretty = readable lines; unset = pretty when stdout is a terminal and NODE_ENV is not production, json otherwise',
  })),
  NODE_ENV: Type.Optional(Type.String({ description: '`production` keeps the logs JSON on a terminal too (when LOG_FORMAT is unset)' })),
  ROLE: Type.Union([Type.Literal('all'), Type.Literal('api'), Type.Literal('worker')], {
    default: 'all',
    description: 'all = HTTP and every consumer; api = HTTP and the live consumers (realtime fan-out); worker = the durable consumers, with health and metrics only',
  }),
  CONSUMERS: csv('Consumers this process runs (comma list); empty = all registered', ''),
  DEMO_TENANT: bool(true, 'Create the tenant `demo` with an admin and an ingest key on first start'),
  DATABASE_URL: optionalUrl('postgres://… selects the PostgreSQL store; unset = SQLite under DATA_DIR'),
  DATABASE_SCHEMA: Type.Optional(Type.String({ pattern: '^[a-z_][a-z0-9_]{0,62}$', description: 'PostgreSQL schema to use (search_path; created if missing); unset = the server default (public)' })),
  NATS_URL: optionalUrl('nats://… publishes every event to NATS JetStream for other services, and fans realtime out across processes; unset = neither'),
  REDIS_URL: optionalUrl('redis://… selects the Redis cache and rate-limit store; unset = in-memory'),
  QDRANT_URL: optionalUrl('http://… selects the Qdrant search index; unset = embedded index'),
  NATS_STREAM: Type.String({ default: 'EVENTRAG', minLength: 1, description: 'JetStream stream name' }),
  NATS_SUBJECT_PREFIX: Type.String({ default: '', description: 'Prefix of every NATS subject (several deployments on one server)' }),
  REDIS_KEY_PREFIX: Type.String({ default: 'eventrag:', description: 'Prefix of every Redis key and channel' }),
  QDRANT_API_KEY: Type.Optional(Type.String()),
  JWT_SECRET: Type.Optional(Type.String({ minLength: 32, description: 'HS256 secret (at least 32 characters)' })),
  JWT_JWKS_URL: optionalUrl('JWKS URL for RS/ES/EdDSA tokens'),
  JWT_ISSUER: Type.Optional(Type.String()),
  JWT_AUDIENCE: Type.Optional(Type.String()),
  JWT_TENANT_CLAIM: Type.String({ default: 'tenant', description: 'Claim holding the tenant slug' }),
  JWT_USER_CLAIM: Type.String({ default: 'sub', description: 'Claim holding the user id' }),
  JWT_ROLES_CLAIM: Type.String({ default: 'roles', description: 'Claim holding the roles (array or space list)' }),
  JWT_MAX_TOKEN_AGE_SECONDS: Type.Optional(Type.Integer({ minimum: 1, description: 'Accept JWTs without `exp` when their `iat` is at most this old; unset = every JWT must carry `exp`' })),
  SENSITIVE_KEYS: csv('Keys removed or masked at any depth before storing or logging', DEFAULT_SENSITIVE_KEYS),
  SENSITIVE_MODE: Type.Union([Type.Literal('remove'), Type.Literal('mask')], { default: 'mask' }),
  IDEMPOTENCY_WINDOW_HOURS: int(24, 1, 'How long an idempotency key maps to its first event'),
  BATCH_MAX_EVENTS: int(1000, 1, 'Most events in one /v1/events/batch request'),
  BATCH_MAX_BYTES: int(1024 * 1024, 1024, 'Largest /v1/events/batch body in bytes'),
  CONSUMER_MAX_ATTEMPTS: int(8, 1, 'Attempts before a delivery is dead'),
  CONSUMER_BACKOFF_BASE_MS: int(500, 1, 'First retry delay; doubles each attempt, with jitter'),
  CONSUMER_BACKOFF_MAX_MS: int(300_000, 1, 'Longest retry delay'),
  ANALYTICS_SESSION_GAP_MINUTES: int(30, 1, 'Inactivity that ends a derived session (events without a sessionId), per person and source app', 24 * 60),
  ANALYTICS_PREDICT_MAX_ORDER: int(3, 1, 'Longest context (previous event types in the session) of the next-action model; replay analytics-predict after a change', 6),
  MEMORY_RECALL_HALF_LIFE_DAYS: int(30, 1, 'Recall weights a message by 0.5^(age / this many days): after one half-life it needs twice the relevance to rank equal', 36_500),
  CONSUMER_POLL_MS: int(500, 10, 'How often idle consumers look for new events of other processes and for due retries'),
  CONSUMER_LEASE_MS: int(15_000, 100, 'How long a worker holds a consumer partition without renewing; after a crash its partitions move to the other workers when it runs out'),
  STREAM_BUFFER_MAX: int(1000, 10, 'Events buffered per realtime client before it is dropped'),
  STREAM_BUFFER_MAX_BYTES: int(4 * 1024 * 1024, 64 * 1024, 'Bytes buffered per realtime client (SSE or WebSocket) before it is dropped'),
  STREAM_MAX_PER_PRINCIPAL: int(10, 1, 'Concurrent realtime streams (SSE + WebSocket) one principal may hold open in this process'),
  STREAM_MAX_PER_TENANT: int(200, 1, 'Concurrent realtime streams one tenant may hold open in this process'),
  STREAM_HEARTBEAT_MS: int(15_000, 50, 'Heartbeat of realtime streams (SSE comment, WebSocket ping); a client that makes no progress for three is dropped'),
  EVENT_MAX_BYTES: int(256 * 1024, 1024, 'Largest event (its data serialised as JSON) any entry point may store'),
  REQUEST_MAX_DEPTH: int(32, 4, 'Deepest nesting of objects and arrays accepted in a JSON body (rejected with 400 before any other work)', 1000),
  HEADER_MAX_LENGTH: int(512, 16, 'Longest value kept from an auto-tracked request header (x-session-id, x-source-app, user-agent)'),
  UPLOAD_MAX_BYTES: int(20 * 1024 * 1024, 1024, 'Largest uploaded file'),
  UPLOAD_MAX_TEXT_BYTES: int(1024 * 1024, 1024, 'Most text extracted from one uploaded file'),
  UPLOAD_EXTRACT_TIMEOUT_MS: int(10_000, 100, 'Time limit for extracting the text of one uploaded file (off the main thread)'),
  UPLOAD_EXTRACT_MEMORY_MB: int(256, 32, 'Heap limit of the text extraction worker (bounds decompression bombs)'),
  CATALOG_SCHEMA_MAX_BYTES: int(64 * 1024, 256, 'Largest JSON Schema a tenant may register for an event type'),
  CATALOG_VALIDATE_TIMEOUT_MS: int(1000, 10, 'Time limit for validating one event against a registered schema (in a worker thread); past it the event answers 422'),
  RATE_LIMIT_PER_MINUTE: int(6000, 1, 'Requests per minute per principal'),
  TENANT_RATE_LIMIT_PER_MINUTE: int(60_000, 1, 'Requests per minute per tenant'),
  AUTH_FAILURES_PER_MINUTE: int(30, 1, 'Failed authentications per minute per client address before it gets 429'),
  TRUST_PROXY: Type.Optional(Type.String({ pattern: '^[0-9A-Fa-f.:/, ]+$|^true$', description: 'Reverse proxies whose X-Forwarded-For names the client (for rate limits and logs): a comma list of addresses or CIDRs, a hop count, or `true`; unset = the peer address is the client' })),
  SHUTDOWN_GRACE_MS: int(10_000, 0, 'How long shutdown waits for in-flight deliveries'),
  EMBEDDER: Type.Union([Type.Literal('hash'), Type.Literal('transformers'), Type.Literal('openai')], { default: 'hash' }),
  EMBEDDING_MODEL: Type.Optional(Type.String({ description: 'Model name or local folder for transformers/openai' })),
  GENERATOR: Type.Union([Type.Literal('extractive'), Type.Literal('openai')], { default: 'extractive' }),
  OPENAI_BASE_URL: Type.String({ default: 'https://api.openai.com/v1' }),
  OPENAI_API_KEY: Type.Optional(Type.String()),
  OPENAI_CHAT_MODEL: Type.String({ default: 'gpt-4o-mini' }),
  PROVIDER_TIMEOUT_MS: int(15_000, 100, 'Timeout for one call to a remote provider'),
  CATEGORIZER: Type.Union([Type.Literal('embedding'), Type.Literal('llm')], {
    default: 'embedding',
    description: 'How the categorizer classifies events no rule decides: embedding = zero-shot against the labels with EMBEDDER; llm = the GENERATOR (must be openai), falling back to the embedding result',
  }),
  CATEGORIZER_THRESHOLD: Type.Number({ default: 0.35, minimum: 0, maximum: 1, description: 'Confidence below which the categorizer answers `unknown` (tenants may set their own)' }),
  CATEGORIZER_LLM_BATCH: int(20, 1, 'Events the LLM classifier puts in one prompt', 100),
});

export type Config = Readonly<Static<typeof ConfigSchema>>;
type ConfigKey = keyof Static<typeof ConfigSchema>;
const KEYS = Object.keys(ConfigSchema.properties) as ConfigKey[];

function readFileValues(path: string | undefined, problems: string[]): Record<string, unknown> {
  if (!path) return {};
  try {
    const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
    problems.push(`CONFIG_FILE: ${path} must hold a JSON object`);
  } catch (error) {
    problems.push(`CONFIG_FILE: cannot read ${path}: ${(error as Error).message}`);
  }
  return {};
}

/**
 * Builds the frozen configuration from `env` (default: process.env) and optional overrides
 * (used by the CLI and tests). Throws one AppError(CONFIG_INVALID) listing every problem.
 */
export function loadConfig(overrides: Partial<Record<ConfigKey, unknown>> = {}, env: NodeJS.ProcessEnv = process.env): Config {
  const problems: string[] = [];
  const fromFile = readFileValues(env.CONFIG_FILE, problems);
  const unknownFileKeys = Object.keys(fromFile).filter((key) => !KEYS.includes(key as ConfigKey));
  for (const key of unknownFileKeys) problems.push(`${key}: not a known setting (in CONFIG_FILE)`);
  const raw: Record<string, unknown> = {};
  for (const key of KEYS) {
    const value = overrides[key] ?? env[key] ?? fromFile[key];
    if (value !== undefined && value !== '') raw[key] = value;
  }
  const withDefaults = Value.Default(ConfigSchema, Value.Convert(ConfigSchema, raw)) as Record<string, unknown>;
  problems.push(...describeSchemaErrors(withDefaults, raw));
  if (withDefaults.CATEGORIZER === 'llm' && withDefaults.GENERATOR !== 'openai') problems.push('CATEGORIZER: llm needs GENERATOR=openai (an OpenAI-compatible chat model)');
  if (problems.length > 0) {
    throw new AppError('CONFIG_INVALID', { detail: `Invalid configuration:\n  ${problems.join('\n  ')}`, details: { problems } });
  }
  return Object.freeze(withDefaults as Static<typeof ConfigSchema>);
}

/** One line per invalid setting: its name, what is wrong, and the value given. */
function describeSchemaErrors(values: Record<string, unknown>, raw: Record<string, unknown>): string[] {
  const byKey = new Map<string, { messages: Set<string>; allowed: unknown[] }>();
  for (const error of Value.Errors(ConfigSchema, values)) {
    const key = error.instancePath.replace(/^\//, '').split('/')[0] ?? '';
    const entry = byKey.get(key) ?? { messages: new Set<string>(), allowed: [] };
    if (error.keyword === 'const') entry.allowed.push((error.params as { allowedValue?: unknown }).allowedValue);
    else if (error.keyword !== 'anyOf') entry.messages.add(error.message);
    byKey.set(key, entry);
  }
  return [...byKey].map(([key, { messages, allowed }]) => {
    const what = allowed.length > 0 ? `must be one of ${allowed.join(', ')}` : [...messages].join('; ');
    return `${key}: ${what}${raw[key] !== undefined ? ` (got ${JSON.stringify(raw[key])})` : ''}`;
  });
}

export function sensitiveKeys(config: Config): string[] {
  return config.SENSITIVE_KEYS.split(',').map((key) => key.trim()).filter(Boolean);
}
