/**
 * Serves one GET /v1/ws after the upgrade: one JSON event per message, a buffer bounded in bytes
 * (`bufferedAmount`) and in unacknowledged sends, a ping every heartbeat (a client that misses two
 * pongs in a row is cut off), and no send after close.
 */
import type { FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import type { RealtimeHub, StreamClient } from './realtime.hub.js';
import type { ReleaseSlot } from './stream-slots.js';
import type { StreamView } from './stream-view.js';

export interface WsDeps {
  hub: RealtimeHub;
  maxBytes: number;
  maxEvents: number;
  heartbeatMs: number;
}

/** Pings in a row without a pong before a client counts as stalled. */
const MISSED_PONGS = 2;

export function serveWs(socket: WebSocket, request: FastifyRequest, view: StreamView, release: ReleaseSlot, deps: WsDeps): void {
  let pending = 0;
  let missedPongs = 0;
  let cutOff = false;
  const client: StreamClient = {
    tenantId: request.principal.tenant.id, types: view.types, userId: view.userId, transport: 'ws',
    send: (_id, json) => {
      if (socket.readyState !== socket.OPEN || pending >= deps.maxEvents) return false;
      const buffered = socket.bufferedAmount;
      if (buffered > 0 && buffered + Buffer.byteLength(json) > deps.maxBytes) return false;
      pending += 1;
      socket.send(json, (error) => { pending -= 1; if (error) socket.terminate(); });
      return true;
    },
    // A client that is not reading would never answer the closing handshake: cut it off.
    close: (reason) => {
      if (cutOff || socket.bufferedAmount > 0) socket.terminate();
      else socket.close(1013, reason.slice(0, 120));
    },
  };
  const remove = deps.hub.add(client);
  const heartbeat = setInterval(() => {
    if (missedPongs >= MISSED_PONGS) { cutOff = true; deps.hub.drop(client, 'client stalled: no pong'); return; }
    missedPongs += 1;
    try { socket.ping(); } catch { socket.terminate(); }
  }, deps.heartbeatMs);
  heartbeat.unref();
  socket.on('pong', () => { missedPongs = 0; });
  socket.on('error', (error) => {
    request.log.debug({ err: error }, 'stream socket failed');
    socket.terminate();
  });
  socket.once('close', () => { clearInterval(heartbeat); remove(); release(); });
}
