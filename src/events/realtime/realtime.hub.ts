/**
 * Fans live events out to SSE and WebSocket clients of this process. Each client has a buffer
 * bounded in bytes (and events): a client whose `send` refuses an event is dropped, so a slow
 * reader can never grow the server's memory. A client scoped to a user (every member) receives
 * only events whose `userId` is that user: never another user's, never events without a user.
 */
import type { Metrics } from '../../platform/metrics.js';
import { anyTypeMatches } from '../../platform/patterns.js';
import type { Broadcast } from '../../ports/bus.port.js';
import type { EventRecord } from '../../ports/events.types.js';
import { eventToJson } from '../operations.routes.js';

export interface StreamClient {
  tenantId: string;
  types: string[];
  /** Only events of this user; undefined = every event of the tenant (admins only). */
  userId: string | undefined;
  transport: 'sse' | 'ws';
  /** Writes one serialised event; returns false when the client's buffer is full. Never throws. */
  send(id: string, payload: string): boolean;
  /** Ends the stream; a client that is not reading is cut off and its buffer freed. */
  close(reason: string): void;
}

interface LivePayload { id: string; tenantId: string; type: string; userId: string | null; json: string }

/**
 * Event ids recently fanned out. The realtime consumer is at least once (after a crash or a
 * partition moving to another process, a batch may be read again); clients see each event once.
 */
const RECENT_IDS = 10_000;

export class RealtimeHub {
  /** Clients by tenant: an event only visits its own tenant's clients. */
  readonly #clients = new Map<string, Set<StreamClient>>();
  #size = 0;
  readonly #recent = new Set<string>();
  #unsubscribe: (() => Promise<void>) | null = null;

  /**
   * @param localOnly the broadcast reaches this process only, so with no client connected here
   *   there is nobody to tell and the event is not even serialised.
   */
  constructor(private readonly broadcast: Broadcast, private readonly metrics: Metrics, private readonly localOnly = false) {}

  async start(): Promise<void> {
    this.#unsubscribe = await this.broadcast.subscribe((_tenantId, payload) => this.#fanOut(JSON.parse(payload) as LivePayload));
  }

  async stop(): Promise<void> {
    for (const clients of [...this.#clients.values()]) {
      for (const client of clients) { this.#remove(client); client.close('server shutting down'); }
    }
    await this.#unsubscribe?.();
  }

  /** Called by the `realtime` live consumer for every relayed event. */
  async publish(event: EventRecord): Promise<void> {
    if (this.localOnly && !this.#clients.has(event.tenantId)) return;
    const payload: LivePayload = { id: event.id, tenantId: event.tenantId, type: event.type, userId: event.userId, json: JSON.stringify(eventToJson(event)) };
    await this.broadcast.publish(event.tenantId, JSON.stringify(payload));
  }

  /** Registers a client; the returned function removes it (calling it again does nothing). */
  add(client: StreamClient): () => void {
    const clients = this.#clients.get(client.tenantId) ?? new Set<StreamClient>();
    this.#clients.set(client.tenantId, clients);
    clients.add(client);
    this.#size += 1;
    this.metrics.streamClients.inc({ transport: client.transport });
    return () => this.#remove(client);
  }

  get size(): number {
    return this.#size;
  }

  /** Disconnects a client that cannot keep up (counted in `eventrag_stream_dropped_total`). */
  drop(client: StreamClient, reason: string): void {
    this.metrics.streamDropped.inc({ transport: client.transport });
    this.#remove(client);
    client.close(reason);
  }

  #remove(client: StreamClient): void {
    const clients = this.#clients.get(client.tenantId);
    if (!clients?.delete(client)) return;
    if (clients.size === 0) this.#clients.delete(client.tenantId);
    this.#size -= 1;
    this.metrics.streamClients.dec({ transport: client.transport });
  }

  #fanOut(payload: LivePayload): void {
    if (this.#recent.has(payload.id)) return;
    this.#recent.add(payload.id);
    if (this.#recent.size > RECENT_IDS) this.#recent.delete(this.#recent.values().next().value!);
    for (const client of this.#clients.get(payload.tenantId) ?? []) {
      if (!sees(client, payload)) continue;
      let sent = false;
      try {
        sent = client.send(payload.id, payload.json);
      } catch {
        sent = false;
      }
      if (!sent) this.drop(client, 'client too slow: buffer full');
    }
  }
}

/** The stream's view: its tenant, its user when scoped to one (a null user is nobody's), its types. */
function sees(client: StreamClient, payload: LivePayload): boolean {
  if (client.tenantId !== payload.tenantId) return false;
  if (client.userId !== undefined && (payload.userId === null || client.userId !== payload.userId)) return false;
  return anyTypeMatches(client.types, payload.type);
}
