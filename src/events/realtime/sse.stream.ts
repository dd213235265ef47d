/**
 * Serves one GET /v1/stream: resumes from Last-Event-ID (sse.resume.ts), then streams live events
 * until the client leaves or falls too far behind (then it is dropped).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../platform/errors.js';
import type { Store } from '../../ports/store.port.js';
import type { RealtimeHub, StreamClient } from './realtime.hub.js';
import { SseConnection } from './sse.connection.js';
import { HeldEvents, resume, sseFrame } from './sse.resume.js';
import type { StreamSlots } from './stream-slots.js';
import { streamViewOf } from './stream-view.js';

export interface SseDeps {
  hub: RealtimeHub;
  store: Store;
  slots: StreamSlots;
  maxBytes: number;
  maxEvents: number;
  heartbeatMs: number;
}

const MAX_EVENT_ID_LENGTH = 128;

function resumeFrom(request: FastifyRequest): string | undefined {
  const value = request.headers['last-event-id'];
  if (typeof value !== 'string' || value.length === 0) return undefined;
  if (value.length > MAX_EVENT_ID_LENGTH) {
    throw new AppError('VALIDATION_FAILED', { detail: `Last-Event-ID is longer than ${MAX_EVENT_ID_LENGTH} characters`, errors: [{ pointer: '/headers/last-event-id', detail: 'too long' }] });
  }
  return value;
}

export async function serveSse(request: FastifyRequest, reply: FastifyReply, deps: SseDeps): Promise<void> {
  const view = streamViewOf(request);
  const after = resumeFrom(request);
  const release = deps.slots.acquire(request.principal);
  const raw = reply.raw;
  reply.hijack();
  raw.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
  // Ids up to the resumed backlog's last one were sent from the log. Live events may arrive out
  // of id order (several processes relay), so only that bound, not the last id, filters them;
  // the hub drops duplicates.
  let resumedUpTo = '';
  let catchingUp = after !== undefined;
  const held = new HeldEvents(deps.maxBytes, deps.maxEvents);
  const client: StreamClient = {
    tenantId: request.principal.tenant.id, types: view.types, userId: view.userId, transport: 'sse',
    send: (id, json) => {
      if (!catchingUp) return id <= resumedUpTo || connection.write(sseFrame(id, json));
      held.push(id, json);
      return true;
    },
    close: (reason) => connection.end(reason),
  };
  const connection = new SseConnection(raw, {
    maxBytes: deps.maxBytes, maxPendingWrites: deps.maxEvents, heartbeatMs: deps.heartbeatMs,
    onDrop: (reason) => deps.hub.drop(client, reason),
    onClose: () => { remove(); release(); },
    onError: (error) => request.log.debug({ err: error }, 'stream connection failed'),
  });
  const remove = deps.hub.add(client);
  connection.write(': connected\n\n');
  if (after === undefined) return;
  const goLive = (lastSent: string): boolean => {
    resumedUpTo = lastSent;
    catchingUp = false;
    return held.take().every(([id, json]) => id <= resumedUpTo || connection.write(sseFrame(id, json)));
  };
  const tenantId = request.principal.tenant.id;
  try {
    const result = await resume({ connection, store: deps.store, tenantId, view, after, maxBytes: deps.maxBytes, held, goLive });
    if (result === 'too-slow') deps.hub.drop(client, 'client too slow: buffer full');
  } catch (error) {
    request.log.warn({ err: error, tenantId }, 'stream resume failed');
    connection.end('resume failed');
  }
}
