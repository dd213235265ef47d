/**
 * Automatic tracking (the `@TrackEvent` of a route): after the response is sent, an event with
 * user, session, route, status and latency goes through the same ingest path, batched in the
 * background so the response never waits for it.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { clip, ENVELOPE_MAX_LENGTH } from '../events/ingest/envelope.js';
import type { IngestItem, IngestService } from '../events/ingest/ingest.service.js';
import type { Principal } from '../identity/principal.js';
import type { Logger } from '../platform/logger.js';

export interface TrackOptions {
  /** Event type to record (default `api.called`). */
  type?: string;
  /** Extra data for the event, read from the request and the reply's payload. */
  data?: (request: FastifyRequest, reply: FastifyReply) => Record<string, unknown>;
}

const FLUSH_EVERY_MS = 50;
const MAX_QUEUE = 10_000;
/** Bytes of tracked data held in memory (queued or being written) before new ones are dropped. */
const MAX_QUEUE_BYTES = 16 * 1024 * 1024;

export interface TrackerOptions {
  /** Longest value kept from a copied request header (HEADER_MAX_LENGTH, default 512). */
  headerMaxLength?: number;
  /** Most bytes of tracked data held in memory, queued or being written (default 16 MiB). */
  maxQueueBytes?: number;
}

type Tracked = { principal: Principal; item: IngestItem; bytes: number };

/** Buffers tracked events per principal and writes them in batches; the buffer is bounded in items and bytes. */
export class Tracker {
  #queue: Tracked[] = [];
  #heldBytes = 0;
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> = Promise.resolve();

  readonly headerMaxLength: number;
  readonly #maxQueueBytes: number;

  constructor(private readonly ingest: IngestService, private readonly logger: Logger, options: TrackerOptions = {}) {
    this.headerMaxLength = options.headerMaxLength ?? 512;
    this.#maxQueueBytes = options.maxQueueBytes ?? MAX_QUEUE_BYTES;
  }

  /** Bytes of tracked data now held in memory (queued or being written). */
  get heldBytes(): number {
    return this.#heldBytes;
  }

  record(principal: Principal, item: IngestItem): void {
    const bytes = (JSON.stringify(item.data) ?? '').length;
    if (this.#queue.length >= MAX_QUEUE || this.#heldBytes + bytes > this.#maxQueueBytes) {
      this.logger.warn({ type: item.type, bytes }, 'tracking queue full; dropping a tracked event');
      return;
    }
    this.#heldBytes += bytes;
    this.#queue.push({ principal, item, bytes });
    this.#timer ??= setTimeout(() => { this.#timer = undefined; void this.flush(); }, FLUSH_EVERY_MS);
  }

  async flush(): Promise<void> {
    const batch = this.#queue;
    this.#queue = [];
    this.#flushing = this.#flushing.then(async () => {
      try { await this.#write(batch); } finally { for (const tracked of batch) this.#heldBytes -= tracked.bytes; }
    });
    return this.#flushing;
  }

  async #write(batch: Tracked[]): Promise<void> {
    const byPrincipal = new Map<Principal, IngestItem[]>();
    for (const { principal, item } of batch) byPrincipal.set(principal, [...(byPrincipal.get(principal) ?? []), item]);
    for (const [principal, items] of byPrincipal) {
      try {
        const results = await this.ingest.ingest(principal, items);
        const rejected = results.filter((r) => r.status === 'rejected');
        if (rejected.length > 0) this.logger.warn({ rejected }, 'tracked events rejected');
      } catch (error) {
        this.logger.error({ err: error, count: items.length }, 'writing tracked events failed');
      }
    }
  }
}

export const trackingPlugin = fp(async (app: FastifyInstance, options: { tracker: Tracker }) => {
  app.decorateRequest('trackData', null);
  app.addHook('onResponse', async (request, reply) => {
    const track = request.routeOptions.config.track;
    if (!track || !request.principal) return;
    // Copied headers are cut to HEADER_MAX_LENGTH and to the envelope's limits, never a reason to reject.
    const max = options.tracker.headerMaxLength;
    options.tracker.record(request.principal, {
      type: track.type ?? 'api.called',
      userId: request.principal.userId,
      sessionId: clip(request.headers['x-session-id'], Math.min(max, ENVELOPE_MAX_LENGTH.sessionId)),
      sourceApp: clip(request.headers['x-source-app'], Math.min(max, ENVELOPE_MAX_LENGTH.sourceApp)),
      data: {
        route: request.routeOptions.url,
        method: request.method,
        status: reply.statusCode,
        latencyMs: Math.round(reply.elapsedTime * 100) / 100,
        ...(track.data?.(request, reply) ?? {}),
        ...(request.trackData ?? {}),
      },
    });
  });
}, { name: 'tracking' });
