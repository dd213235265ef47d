/**
 * Segment-spec HTTP API: POST /v1/track, /v1/identify, /v1/page, /v1/screen, /v1/group,
 * /v1/alias and /v1/batch, so apps instrumented with Segment, RudderStack or Jitsu clients can
 * point them here. Credentials as Segment's clients send them: HTTP Basic with the write (ingest)
 * key as user name, `Authorization: Bearer`, or `writeKey` in the body (what
 * @segment/analytics-node 2.x does). Limits as Segment's: 32 KB per message, 500 KB per batch.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify';
import { WRITE_EVENT_ROLES } from '../../../http/auth.plugin.js';
import { ProblemSchema } from '../../../http/problem.js';
import type { Authenticator } from '../../../identity/authenticator.js';
import type { Principal } from '../../../identity/principal.js';
import { AppError } from '../../../platform/errors.js';
import type { IngestService } from '../ingest.service.js';
import { summarise } from '../ingest.routes.js';
import {
  BATCH_MAX_BYTES, BatchSchema, MESSAGE_MAX_BYTES, MESSAGE_SCHEMAS, SEGMENT_KINDS, SegmentAcceptedSchema, SegmentBatchResultSchema,
  type SegmentKind,
} from './segment.schemas.js';
import { SegmentService, type SegmentIdentity } from './segment.service.js';

export interface SegmentRoutesOptions {
  ingest: IngestService;
  /** The identity feature's lookups (member checks, stitching of anonymous messages). */
  identity: SegmentIdentity;
  authenticator: Authenticator;
}

const SUMMARIES: Readonly<Record<SegmentKind, string>> = {
  track: 'Segment track: an action, stored under its event name (tenant trackMapping, e-commerce defaults, else a slug)',
  identify: 'Segment identify: stored as user.identified; traits are kept per user and stitch anonymousId to userId',
  page: 'Segment page: stored as page.viewed',
  screen: 'Segment screen: stored as screen.viewed',
  group: 'Segment group: stored as user.grouped; links the user to the group',
  alias: 'Segment alias: stored as user.aliased; links previousId to userId',
};

const SECURITY: Array<Record<string, string[]>> = [{ basic: [] }, { bearer: [] }];
const acceptAll = () => () => true; // messages are checked one by one in the service, so a batch reports each

async function principalFromHeader(header: string, authenticator: Authenticator): Promise<Principal> {
  const [scheme = '', value = ''] = header.split(' ', 2);
  if (scheme.toLowerCase() === 'bearer' && value) return authenticator.fromBearer(value.trim());
  if (scheme.toLowerCase() === 'basic' && value) {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const user = decoded.includes(':') ? decoded.slice(0, decoded.indexOf(':')) : decoded;
    if (user) return authenticator.fromApiKey(user);
  }
  throw new AppError('AUTH_INVALID', { detail: 'unsupported Authorization scheme: use Basic (write key as user name) or Bearer' });
}

/** Runs once the body is parsed, since the write key may be in it. */
async function authenticate(request: FastifyRequest, authenticator: Authenticator): Promise<void> {
  const header = request.headers.authorization;
  const writeKey = (request.body as { writeKey?: unknown } | undefined)?.writeKey;
  let principal: Principal;
  if (header) principal = await principalFromHeader(header, authenticator);
  else if (typeof writeKey === 'string' && writeKey !== '') principal = await authenticator.fromApiKey(writeKey);
  else throw new AppError('AUTH_MISSING', { detail: 'send HTTP Basic with the ingest key as user name, Authorization: Bearer <key>, or "writeKey" in the body' });
  if (!WRITE_EVENT_ROLES.includes(principal.role)) {
    throw new AppError('AUTH_FORBIDDEN_ROLE', { detail: `role ${principal.role} may not send events` });
  }
  request.principal = principal;
  request.log = request.log.child({ tenantId: principal.tenant.id });
}

/** The server's one JSON parser (depth limit, __proto__ rule), also for text/plain bodies. */
function parseJson(request: FastifyRequest, body: string | Buffer, done: (error: Error | null, value?: unknown) => void): void {
  try {
    done(null, request.server.parseJsonBody(body.toString()));
  } catch (error) {
    done(error as Error);
  }
}

const routeConfig = {
  // The auth plugin only reads headers, before the body is parsed; these routes authenticate in
  // preValidation (below) so a writeKey in the body works. They are still rate limited per principal.
  public: true,
  rateLimit: { allowList: () => false },
  roles: WRITE_EVENT_ROLES,
};

export async function segmentRoutes(fastify: FastifyInstance, options: SegmentRoutesOptions): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const service = new SegmentService({ ingest: options.ingest, identity: options.identity });

  // Segment's browser library posts JSON as text/plain (no CORS preflight).
  app.removeContentTypeParser('text/plain');
  app.addContentTypeParser('text/plain', { parseAs: 'string' }, parseJson);
  // Credentials in a header are checked before the body is read; a writeKey in the body after.
  app.addHook('onRequest', async (request) => { if (request.headers.authorization) await authenticate(request, options.authenticator); });
  app.addHook('preValidation', async (request) => { if (!request.principal) await authenticate(request, options.authenticator); });
  // Bodies past a route's bodyLimit (the exact Segment limit) get Segment's error codes.
  app.setErrorHandler(async (error: FastifyError, request) => {
    if (error.code !== 'FST_ERR_CTP_BODY_TOO_LARGE') throw error;
    if (request.routeOptions.url?.endsWith('/batch')) throw new AppError('BATCH_TOO_LARGE', { detail: `a batch request may be at most ${BATCH_MAX_BYTES} bytes (500 KB)` });
    throw new AppError('MESSAGE_TOO_LARGE', { detail: `a message may be at most ${MESSAGE_MAX_BYTES} bytes (32 KB)` });
  });

  for (const kind of SEGMENT_KINDS) {
    app.post(`/${kind}`, {
      config: routeConfig,
      bodyLimit: MESSAGE_MAX_BYTES,
      validatorCompiler: acceptAll,
      schema: {
        tags: ['segment'], summary: SUMMARIES[kind], security: SECURITY,
        body: MESSAGE_SCHEMAS[kind],
        response: { 200: SegmentAcceptedSchema, 400: ProblemSchema, 401: ProblemSchema, 403: ProblemSchema, 413: ProblemSchema, 422: ProblemSchema },
      },
    }, async (request) => ({ success: true as const, ...(await service.one(request.principal, kind, request.body)) }));
  }

  app.post('/batch', {
    config: routeConfig,
    bodyLimit: BATCH_MAX_BYTES,
    validatorCompiler: acceptAll,
    schema: {
      tags: ['segment'], security: SECURITY,
      summary: 'Segment batch: up to 500 KB of messages, each checked on its own (valid ones are stored even when others are rejected)',
      description: 'Top-level `context` and `integrations` are merged into each message (the message\'s own keys win).',
      body: BatchSchema,
      response: { 200: SegmentBatchResultSchema, 400: ProblemSchema, 401: ProblemSchema, 413: ProblemSchema },
    },
  }, async (request) => {
    const body = request.body as unknown as { batch?: unknown; context?: unknown; integrations?: unknown; sentAt?: unknown };
    if (!Array.isArray(body?.batch)) {
      throw new AppError('VALIDATION_FAILED', { detail: 'body must be {"batch": [messages]}', errors: [{ pointer: '/batch', detail: 'must be an array' }] });
    }
    const defaults = {
      context: body.context as Record<string, unknown> | undefined,
      integrations: body.integrations as Record<string, unknown> | undefined,
      sentAt: body.sentAt ?? undefined, // any value: a non-ISO one is kept and warned about per message
    };
    return { success: true as const, ...summarise(await service.batch(request.principal, body.batch, defaults)) };
  });
}
