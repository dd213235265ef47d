/**
 * The Last-Event-ID resume of one SSE stream. Missed events are read from the log in pages of
 * about one client buffer and written only as fast as the client reads (backpressure). Live
 * events arriving meanwhile are held, at most one buffer's worth: every live event is stored in
 * the log before it is fanned out, so when they overflow they are discarded and the log is read
 * once more past them instead. The stream goes live only after a read of the log's end during
 * which nothing was discarded, so no event is lost or sent twice.
 */
import type { Store } from '../../ports/store.port.js';
import { eventToJson } from '../operations.routes.js';
import type { SseConnection } from './sse.connection.js';
import type { StreamView } from './stream-view.js';

/** Most events one resume sends from the log. */
export const RESUME_LIMIT = 10_000;
const FIRST_PAGE = 10;
const MAX_PAGE = 200;

export const sseFrame = (id: string, json: string) => `id: ${id}\nevent: event\ndata: ${json}\n\n`;

/** Live events received during a resume, bounded like the client's buffer. */
export class HeldEvents {
  #items: Array<[string, string]> = [];
  #bytes = 0;
  #overflowed = false;

  constructor(private readonly maxBytes: number, private readonly maxEvents: number) {}

  /** Holds one event; past the bound, drops everything held (the log still has it). */
  push(id: string, json: string): void {
    const bytes = Buffer.byteLength(json);
    if (this.#bytes + bytes > this.maxBytes || this.#items.length >= this.maxEvents) {
      this.#items = [];
      this.#bytes = 0;
      this.#overflowed = true;
      return;
    }
    this.#items.push([id, json]);
    this.#bytes += bytes;
  }

  /** True when events were dropped since the last `watch()`. */
  get overflowed(): boolean {
    return this.#overflowed;
  }

  watch(): void {
    this.#overflowed = false;
  }

  take(): Array<[string, string]> {
    const items = this.#items;
    this.#items = [];
    this.#bytes = 0;
    return items;
  }
}

export interface Resume {
  connection: SseConnection;
  store: Store;
  tenantId: string;
  view: StreamView;
  /** The client's Last-Event-ID. */
  after: string;
  maxBytes: number;
  held: HeldEvents;
  /** Switches the stream to live (synchronously, after the last id sent); false if the client is too slow. */
  goLive(lastSent: string): boolean;
}

export type ResumeResult = 'live' | 'closed' | 'too-slow';

export async function resume(r: Resume): Promise<ResumeResult> {
  let cursor = r.after;
  let lastSent = '';
  let sent = 0;
  let pageSize = FIRST_PAGE;
  for (;;) {
    r.held.watch();
    const room = RESUME_LIMIT - sent;
    const page = room > 0
      ? await r.store.events.list(r.tenantId, { types: r.view.types, userId: r.view.userId, after: cursor, limit: Math.min(pageSize, room) })
      : { items: [], nextCursor: null };
    let bytes = 0;
    for (const event of page.items) {
      if (r.connection.needsDrain && !(await r.connection.drain())) return 'closed';
      const json = JSON.stringify(eventToJson(event));
      bytes += Buffer.byteLength(json);
      if (!r.connection.write(sseFrame(event.id, json))) return r.connection.open ? 'too-slow' : 'closed';
      cursor = lastSent = event.id;
      sent += 1;
    }
    if (page.items.length > 0) pageSize = Math.max(1, Math.min(MAX_PAGE, Math.floor(r.maxBytes / Math.max(1, bytes / page.items.length))));
    if (page.nextCursor !== null && sent < RESUME_LIMIT) continue;
    if (!(await r.connection.drain())) return 'closed';
    if (!r.held.overflowed) return r.goLive(lastSent) ? 'live' : 'too-slow';
    if (sent >= RESUME_LIMIT) return 'too-slow';
  }
}
