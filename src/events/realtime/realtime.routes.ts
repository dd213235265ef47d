/** GET /v1/stream (Server-Sent Events, resumable with Last-Event-ID) and GET /v1/ws (WebSocket). */
import type {} from '@fastify/websocket';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { AppError } from '../../platform/errors.js';
import type { Store } from '../../ports/store.port.js';
import type { RealtimeHub } from './realtime.hub.js';
import { serveSse } from './sse.stream.js';
import { StreamSlots, type ReleaseSlot } from './stream-slots.js';
import { streamViewOf, type StreamView } from './stream-view.js';
import { serveWs } from './ws.stream.js';
import { MAX_ID_LENGTH } from '../../platform/ids.js';

export interface RealtimeRoutesOptions {
  hub: RealtimeHub;
  store: Store;
  /** Events a client may fall behind by before it is dropped (a second bound beside bytes). */
  bufferMax: number;
  /** Bytes the server may buffer for one client before it is dropped. */
  bufferMaxBytes?: number;
  /** Concurrent streams (SSE + WebSocket) per principal and per tenant in this process. */
  maxPerPrincipal?: number;
  maxPerTenant?: number;
  heartbeatMs?: number;
}

const StreamQuery = Type.Object({
  types: Type.Optional(Type.String({ maxLength: 2048, description: 'Comma-separated type patterns, e.g. article.*,order.placed (default: all; at most 32)' })),
  userId: Type.Optional(Type.String({ minLength: 1, maxLength: MAX_ID_LENGTH, description: 'Only events of this user (members: always their own)' })),
  access_token: Type.Optional(Type.String({ maxLength: 8192, description: 'API key or JWT, for clients that cannot send headers' })),
});

function upgradeRequired(reply: FastifyReply): AppError {
  reply.header('upgrade', 'websocket');
  return new AppError('UPGRADE_REQUIRED', { detail: 'GET /v1/ws needs a WebSocket upgrade (Connection: Upgrade, Upgrade: websocket)' });
}

export async function realtimeRoutes(app: FastifyInstance, options: RealtimeRoutesOptions): Promise<void> {
  const limits = {
    hub: options.hub,
    maxBytes: options.bufferMaxBytes ?? 4 * 1024 * 1024,
    maxEvents: options.bufferMax,
    heartbeatMs: options.heartbeatMs ?? 15_000,
  };
  const slots = new StreamSlots({ perPrincipal: options.maxPerPrincipal ?? 10, perTenant: options.maxPerTenant ?? 200 });
  /** View and slot of a WebSocket request, taken before the upgrade. */
  const upgrades = new WeakMap<FastifyRequest, { view: StreamView; release: ReleaseSlot }>();

  app.get('/stream', {
    config: { queryToken: true },
    schema: { tags: ['realtime'], summary: 'Live events as Server-Sent Events (resume with Last-Event-ID)', querystring: StreamQuery },
  }, async (request, reply) => {
    // HEAD (added by Fastify for every GET) checks access without holding a stream open.
    if (request.method === 'HEAD') {
      streamViewOf(request);
      return reply.header('content-type', 'text/event-stream').header('cache-control', 'no-cache').send();
    }
    await serveSse(request, reply, { ...limits, store: options.store, slots });
    return reply;
  });

  app.route({
    method: 'GET',
    url: '/ws',
    config: { queryToken: true },
    schema: { tags: ['realtime'], summary: 'Live events over a WebSocket (one JSON event per message)', querystring: StreamQuery },
    // Everything that can refuse the stream runs here, so a refusal is an HTTP answer, never an upgrade.
    preHandler: async (request, reply) => {
      if (!request.ws) throw upgradeRequired(reply);
      const view = streamViewOf(request);
      const release = slots.acquire(request.principal);
      request.raw.socket.once('close', release);
      upgrades.set(request, { view, release });
    },
    handler: async (_request, reply) => { throw upgradeRequired(reply); },
    wsHandler: (socket, request) => {
      const taken = upgrades.get(request);
      if (!taken) { socket.terminate(); return; }
      serveWs(socket, request, taken.view, taken.release, limits);
    },
  });
}
