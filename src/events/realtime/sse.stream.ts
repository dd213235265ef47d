/**
 * Serves one GET /v1/stream: resumes from Last-Event-ID by reading the log in pages and waiting
 * for the client to read (backpressure), holds live events that arrive meanwhile within the same
 * byte bound, then streams live events until the client leaves or falls too far behind.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../platform/errors.js';
import type { Store } from '../../ports/store.port.js';
import { eventToJson } from '../operations.routes.js';
import type { RealtimeHub, StreamClient } from './realtime.hub.js';
import { SseConnection } from './sse.connection.js';
import type { StreamSlots } from './stream-slots.js';
import { streamViewOf, type StreamView } from './stream-view.js';

export interface SseDeps {
  hub: RealtimeHub;
  store: Store;
  slots: StreamSlots;
  maxBytes: number;
  maxEvents: number;
  heartbeatMs: number;
}

/** Most events one resume sends from the log. */
export const RESUME_LIMIT = 10_000;
const MAX_PAGE = 200;
const MAX_EVENT_ID_LENGTH = 128;

const frame = (id: string, json: string) => `id: ${id}\nevent: event\ndata: ${json}\n\n`;

function resumeFrom(request: FastifyRequest): string | undefined {
  const value = request.headers['last-event-id'];
  if (typeof value !== 'string' || value.length === 0) return undefined;
  if (value.length > MAX_EVENT_ID_LENGTH) {
    throw new AppError('VALIDATION_FAILED', { detail: `Last-Event-ID is longer than ${MAX_EVENT_ID_LENGTH} characters`, errors: [{ pointer: '/headers/last-event-id', detail: 'too long' }] });
  }
  return value;
}

/** Live events received while the backlog is sent, bounded like the client's buffer. */
class HeldEvents {
  #items: Array<[string, string]> = [];
  #bytes = 0;
  constructor(private readonly maxBytes: number, private readonly maxEvents: number) {}

  push(id: string, json: string): boolean {
    this.#items.push([id, json]);
    this.#bytes += Buffer.byteLength(json);
    return this.#bytes <= this.maxBytes && this.#items.length <= this.maxEvents;
  }

  take(): Array<[string, string]> {
    const items = this.#items;
    this.#items = [];
    this.#bytes = 0;
    return items;
  }
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
    send: (id, json) => (catchingUp ? held.push(id, json) : id <= resumedUpTo || connection.write(frame(id, json))),
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
  try {
    const resumed = await replay(connection, deps, request.principal.tenant.id, view, after);
    if (resumed.refused) return deps.hub.drop(client, 'client too slow: buffer full');
    resumedUpTo = resumed.lastSent;
    if (!(await connection.drain())) return;
  } catch (error) {
    request.log.warn({ err: error, tenantId: request.principal.tenant.id }, 'stream resume failed');
    connection.end('resume failed');
    return;
  }
  catchingUp = false;
  for (const [id, json] of held.take()) {
    if (id > resumedUpTo && !connection.write(frame(id, json))) return deps.hub.drop(client, 'client too slow: buffer full');
  }
}

/**
 * Sends the events after `after` from the log, oldest first, in pages sized to about one buffer
 * of bytes, waiting for 'drain' whenever the client has not read. Returns the last id sent, and
 * whether a write was refused (the client is then to be dropped).
 */
async function replay(connection: SseConnection, deps: SseDeps, tenantId: string, view: StreamView, after: string): Promise<{ lastSent: string; refused: boolean }> {
  let cursor = after;
  let lastSent = '';
  let sent = 0;
  let pageSize = 10;
  while (sent < RESUME_LIMIT && connection.open) {
    const page = await deps.store.events.list(tenantId, { types: view.types, userId: view.userId, after: cursor, limit: Math.min(pageSize, RESUME_LIMIT - sent) });
    let bytes = 0;
    for (const event of page.items) {
      if (connection.needsDrain && !(await connection.drain())) return { lastSent, refused: false };
      const json = JSON.stringify(eventToJson(event));
      bytes += json.length;
      if (!connection.write(frame(event.id, json))) return { lastSent, refused: connection.open };
      cursor = lastSent = event.id;
      sent += 1;
    }
    if (page.nextCursor === null || page.items.length === 0) break;
    pageSize = Math.max(1, Math.min(MAX_PAGE, Math.floor(deps.maxBytes / Math.max(1, bytes / page.items.length))));
  }
  return { lastSent, refused: false };
}
