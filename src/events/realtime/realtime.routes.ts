/** GET /v1/stream (Server-Sent Events, resumable with Last-Event-ID) and GET /v1/ws (WebSocket). */
import type {} from '@fastify/websocket';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { scopedUser } from '../../http/auth.plugin.js';
import type { Store } from '../../ports/store.port.js';
import { eventToJson } from '../operations.routes.js';
import type { RealtimeHub, StreamClient } from './realtime.hub.js';

export interface RealtimeRoutesOptions {
  hub: RealtimeHub;
  store: Store;
  /** Events a client may fall behind by before it is dropped. */
  bufferMax: number;
  heartbeatMs?: number;
}

const StreamQuery = Type.Object({
  types: Type.Optional(Type.String({ description: 'Comma-separated type patterns, e.g. article.*,order.placed (default: all)' })),
  userId: Type.Optional(Type.String({ description: 'Only events of this user (members: always their own)' })),
  access_token: Type.Optional(Type.String({ description: 'API key or JWT, for clients that cannot send headers' })),
});

const RESUME_LIMIT = 10_000;

function filtersOf(request: FastifyRequest) {
  const query = request.query as { types?: string; userId?: string };
  const types = query.types?.split(',').map((t) => t.trim()).filter(Boolean) ?? [];
  return { types: types.length > 0 ? types : ['*'], userId: scopedUser(request.principal, query.userId) };
}

export async function realtimeRoutes(app: FastifyInstance, options: RealtimeRoutesOptions): Promise<void> {
  const heartbeatMs = options.heartbeatMs ?? 15_000;

  app.get('/stream', {
    config: { queryToken: true },
    schema: { tags: ['realtime'], summary: 'Live events as Server-Sent Events (resume with Last-Event-ID)', querystring: StreamQuery },
  }, async (request, reply) => {
    const { types, userId } = filtersOf(request);
    const raw = reply.raw;
    reply.hijack();
    raw.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    raw.write(': connected\n\n');
    let behind = 0;
    raw.on('drain', () => { behind = 0; });
    // Ids up to the resumed backlog's last one were sent from the log. Live events may arrive out
    // of id order (several processes relay), so only that bound, not the last id, filters them;
    // the hub drops duplicates.
    let resumedUpTo = '';
    let catchingUp = true;
    const held: Array<[string, string]> = [];
    const write = (id: string, json: string): boolean => {
      if (id <= resumedUpTo) return true;
      if (!raw.write(`id: ${id}\nevent: event\ndata: ${json}\n\n`)) behind += 1;
      return behind <= options.bufferMax;
    };
    const client: StreamClient = {
      tenantId: request.principal.tenant.id, types, userId, transport: 'sse',
      send: (id, json) => {
        if (catchingUp) { held.push([id, json]); return held.length <= options.bufferMax; }
        return write(id, json);
      },
      close: (reason) => { raw.end(`event: close\ndata: ${JSON.stringify({ reason })}\n\n`); },
    };
    const remove = options.hub.add(client);
    const heartbeat = setInterval(() => raw.write(': heartbeat\n\n'), heartbeatMs);
    raw.on('close', () => { clearInterval(heartbeat); remove(); });
    const lastEventId = request.headers['last-event-id'];
    if (typeof lastEventId === 'string' && lastEventId.length > 0) {
      const backlog = await options.store.events.list(request.principal.tenant.id, { types, userId, after: lastEventId, limit: RESUME_LIMIT });
      for (const event of backlog.items) write(event.id, JSON.stringify(eventToJson(event)));
      resumedUpTo = backlog.items.at(-1)?.id ?? '';
    }
    catchingUp = false;
    for (const [id, json] of held.splice(0)) write(id, json);
  });

  app.get('/ws', {
    websocket: true,
    config: { queryToken: true },
    schema: { tags: ['realtime'], summary: 'Live events over a WebSocket (one JSON event per message)', querystring: StreamQuery },
  }, (socket, request) => {
    const { types, userId } = filtersOf(request);
    const maxBytes = options.bufferMax * 4096;
    const remove = options.hub.add({
      tenantId: request.principal.tenant.id, types, userId, transport: 'ws',
      send: (_id, json) => {
        if (socket.bufferedAmount > maxBytes) return false;
        socket.send(json);
        return true;
      },
      close: (reason) => socket.close(1013, reason.slice(0, 120)),
    });
    socket.on('close', remove);
    socket.on('error', remove);
  });
}
