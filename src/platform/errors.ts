/**
 * One error type for the whole server. Every failure a caller can see carries a stable `code`
 * (listed in docs/errors.md) and is answered as RFC 9457 problem+json by the HTTP error handler.
 */
export type ErrorCategory = 'user' | 'system' | 'third_party';

/** Stable error codes with their HTTP status and title. Add a code here and in docs/errors.md. */
export const ERROR_CODES = {
  VALIDATION_FAILED: { status: 400, title: 'Request is not valid' },
  REQUEST_TOO_DEEP: { status: 400, title: 'Request body is nested too deeply' },
  URL_INVALID: { status: 400, title: 'URL is not valid' },
  URI_TOO_LONG: { status: 414, title: 'URL or path parameter too long' },
  HEADERS_TOO_LARGE: { status: 431, title: 'Request headers too large' },
  REQUEST_TIMEOUT: { status: 408, title: 'Request not received in time' },
  FILTER_TOO_COMPLEX: { status: 400, title: 'Search filter is too complex' },
  CONFIG_INVALID: { status: 500, title: 'Configuration is not valid' },
  AUTH_MISSING: { status: 401, title: 'Credentials are missing' },
  AUTH_INVALID: { status: 401, title: 'Credentials are not valid' },
  AUTH_FORBIDDEN_ROLE: { status: 403, title: 'Role does not allow this operation' },
  AUTH_FORBIDDEN_TENANT: { status: 403, title: 'Resource belongs to another tenant' },
  AUTH_FORBIDDEN_USER: { status: 403, title: 'Resource belongs to another user' },
  NOT_FOUND: { status: 404, title: 'Resource not found' },
  ROUTE_NOT_FOUND: { status: 404, title: 'Route not found' },
  CONFLICT: { status: 409, title: 'Resource already exists' },
  IDEMPOTENCY_CONFLICT: { status: 409, title: 'Idempotency key was used with a different request' },
  PAYLOAD_TOO_LARGE: { status: 413, title: 'Payload too large' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Unsupported media type' },
  EVENT_SCHEMA_INVALID: { status: 422, title: 'Event data does not match its schema' },
  EVENT_TYPE_UNKNOWN: { status: 422, title: 'Event type is not in the catalog' },
  EVENT_TYPE_INVALID: { status: 422, title: 'Event type name is not valid' },
  EVENT_TYPE_BUILT_IN: { status: 409, title: 'Built-in event types cannot be changed' },
  BATCH_TOO_LARGE: { status: 413, title: 'Batch too large' },
  MESSAGE_TOO_LARGE: { status: 413, title: 'Message too large' },
  EVENT_TOO_LARGE: { status: 413, title: 'Event too large' },
  DOCUMENT_TEXT_TOO_LARGE: { status: 413, title: 'Extracted text too large' },
  DOCUMENT_UNREADABLE: { status: 422, title: 'File could not be read' },
  CATALOG_SCHEMA_UNSAFE: { status: 422, title: 'Event schema is not accepted' },
  STREAM_LIMIT_REACHED: { status: 429, title: 'Too many open streams' },
  REPLAY_LIMIT_REACHED: { status: 429, title: 'Too many replays running' },
  UPGRADE_REQUIRED: { status: 426, title: 'Upgrade required' },
  CONSUMER_UNKNOWN: { status: 404, title: 'Consumer not found' },
  RATE_LIMITED: { status: 429, title: 'Too many requests' },
  STORE_UNAVAILABLE: { status: 503, title: 'Store is unavailable' },
  BUS_UNAVAILABLE: { status: 503, title: 'Bus is unavailable' },
  PROVIDER_UNAVAILABLE: { status: 503, title: 'Provider is unavailable' },
  SHUTTING_DOWN: { status: 503, title: 'Server is shutting down' },
  INTERNAL: { status: 500, title: 'Internal error' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** One field-level problem, as listed in a problem+json `errors` array. */
export interface FieldError {
  /** JSON pointer or dotted path of the offending field, e.g. `/data/articleId`. */
  pointer: string;
  detail: string;
}

export interface AppErrorOptions {
  detail?: string;
  errors?: FieldError[];
  details?: Record<string, unknown>;
  cause?: unknown;
  category?: ErrorCategory;
  status?: number;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly category: ErrorCategory;
  readonly errors: FieldError[] | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, options: AppErrorOptions = {}) {
    super(options.detail ?? ERROR_CODES[code].title, { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.status = options.status ?? ERROR_CODES[code].status;
    this.category = options.category ?? (this.status >= 500 ? 'system' : 'user');
    this.errors = options.errors;
    this.details = options.details;
  }

  get title(): string {
    return ERROR_CODES[this.code].title;
  }
}

export function isAppError(value: unknown): value is AppError {
  return value instanceof AppError;
}

/** Thrown by a consumer handler: the event can never succeed, so it goes straight to `dead`. */
export class NonRetriableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NonRetriableError';
  }
}

/** Thrown by a consumer handler: retry, but not before `retryAfterMs` has passed. */
export class RetryAfterError extends Error {
  readonly retryAfterMs: number;
  constructor(message: string, retryAfterMs: number, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RetryAfterError';
    this.retryAfterMs = retryAfterMs;
  }
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
