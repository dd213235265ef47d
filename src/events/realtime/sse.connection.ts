/**
 * One Server-Sent Events response. It owns the response and its socket: every write goes through
 * it, is refused after the end and when the client's buffer would pass its byte bound, and an
 * error on the socket only ends this connection. Its heartbeat stops when the response closes.
 */
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

export interface SseConnectionOptions {
  /** Bytes the server may hold for this client (the response's `writableLength`). */
  maxBytes: number;
  /** Writes that may wait for 'drain' before the client counts as too slow. */
  maxPendingWrites: number;
  heartbeatMs: number;
  /** Called once when the connection drops itself (stalled client); not called for normal ends. */
  onDrop: (reason: string) => void;
  /** Called once when the response has closed, whatever the cause. */
  onClose: () => void;
  onError: (error: Error) => void;
}

/** Heartbeats in a row with bytes waiting and no progress before a client counts as stalled. */
const STALL_BEATS = 3;

export class SseConnection {
  #open = true;
  #pendingWrites = 0;
  #drainedSinceBeat = false;
  #lastBuffered = 0;
  #stalls = 0;
  readonly #socket: Socket | null;
  readonly #heartbeat: NodeJS.Timeout;
  readonly #waiters = new Set<(open: boolean) => void>();
  readonly #onSocketError = (error: Error) => this.#fail(error);

  constructor(private readonly raw: ServerResponse, private readonly options: SseConnectionOptions) {
    this.#socket = raw.socket;
    raw.on('error', this.#onSocketError);
    this.#socket?.on('error', this.#onSocketError);
    raw.on('close', () => this.#finish());
    raw.on('drain', () => this.#drained());
    this.#heartbeat = setInterval(() => this.#beat(), options.heartbeatMs);
    this.#heartbeat.unref();
  }

  get open(): boolean {
    return this.#open;
  }

  /** True when the client should read before more is written (backpressure). */
  get needsDrain(): boolean {
    return this.#open && this.raw.writableNeedDrain;
  }

  /**
   * Queues `chunk`. Returns false, writing nothing, when the connection has ended or the chunk
   * would take the client's buffer past its bound; the caller then drops the client.
   */
  write(chunk: string): boolean {
    if (!this.#open || this.raw.writableEnded) return false;
    const buffered = this.raw.writableLength;
    if (buffered > 0 && buffered + Buffer.byteLength(chunk) > this.options.maxBytes) return false;
    if (this.#pendingWrites >= this.options.maxPendingWrites) return false;
    try {
      if (!this.raw.write(chunk)) this.#pendingWrites += 1;
      return true;
    } catch (error) {
      this.#fail(error as Error);
      return false;
    }
  }

  /** Resolves true once the client has read what was waiting, false if the connection closed first. */
  drain(): Promise<boolean> {
    if (!this.#open) return Promise.resolve(false);
    if (!this.raw.writableNeedDrain) return Promise.resolve(true);
    return new Promise((resolve) => this.#waiters.add(resolve));
  }

  /**
   * Ends the stream with a final `event: close`. A client that has not read what is waiting
   * would never receive it, so its connection is cut instead and its buffer freed at once.
   */
  end(reason: string): void {
    if (!this.#open) return;
    if (this.raw.writableLength > 0 || this.raw.writableEnded) {
      this.destroy();
      return;
    }
    try {
      this.raw.end(`event: close\ndata: ${JSON.stringify({ reason })}\n\n`);
    } catch {
      this.destroy();
      return;
    }
    // A client that stops reading right now must not keep the response (and its slot) forever.
    setTimeout(() => { if (this.#open) this.destroy(); }, this.options.heartbeatMs).unref();
  }

  /** Cuts the connection and frees what it buffered. */
  destroy(): void {
    if (!this.raw.destroyed) this.raw.destroy();
    this.#finish();
  }

  #beat(): void {
    const buffered = this.raw.writableLength;
    const stuck = buffered > 0 && !this.#drainedSinceBeat && buffered >= this.#lastBuffered;
    this.#stalls = stuck ? this.#stalls + 1 : 0;
    this.#lastBuffered = buffered;
    this.#drainedSinceBeat = false;
    if (this.#stalls >= STALL_BEATS) return this.#drop('client stalled: not reading');
    if (!this.write(': heartbeat\n\n')) this.#drop('client too slow: buffer full');
  }

  #drop(reason: string): void {
    if (!this.#open) return;
    this.options.onDrop(reason);
    this.destroy();
  }

  #drained(): void {
    this.#pendingWrites = 0;
    this.#drainedSinceBeat = true;
    for (const resolve of this.#waiters) resolve(true);
    this.#waiters.clear();
  }

  #fail(error: Error): void {
    if (this.#open) this.options.onError(error);
    this.destroy();
  }

  #finish(): void {
    if (!this.#open) return;
    this.#open = false;
    clearInterval(this.#heartbeat);
    this.#socket?.removeListener('error', this.#onSocketError);
    for (const resolve of this.#waiters) resolve(false);
    this.#waiters.clear();
    this.options.onClose();
  }
}
