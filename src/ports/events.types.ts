/** Shapes shared by the event log, the bus and the consumers. */

/**
 * The role of the principal that sent an event: what the indexer may let it write. Null for
 * events stored before senders were recorded.
 */
export type SenderRole = 'admin' | 'ingest' | 'member';

/** A stored event: CloudEvents 1.0 attributes plus eventrag's extension attributes. */
export interface EventRecord {
  id: string;
  tenantId: string;
  type: string;
  source: string;
  subject: string | null;
  userId: string | null;
  sessionId: string | null;
  category: string;
  sourceApp: string | null;
  /** When it happened (ms since epoch), as the sender said. */
  time: number;
  /** When the server accepted it (ms since epoch). */
  receivedAt: number;
  idempotencyKey: string | null;
  /** Who sent it (set by the server, never by the body); null for events stored before it was recorded. */
  senderRole: SenderRole | null;
  data: unknown;
}

/** An event as the log holds it: with its position in the log (`seq`, gap-free in commit order). */
export interface LogEntry extends EventRecord {
  seq: number;
}

/** An event ready to append (the server has validated, sanitised and enriched it). */
export interface NewEvent extends EventRecord {
  /**
   * What the idempotency table records: the key as scoped by the server (default: `idempotencyKey`)
   * and a hash of the normalised item (null: any body with this key is a duplicate).
   */
  idempotency?: { key: string; bodyHash: string | null };
}

export type DeliveryStatus = 'pending' | 'processing' | 'done' | 'failed' | 'dead';
export const DELIVERY_STATUSES: readonly DeliveryStatus[] = ['pending', 'processing', 'done', 'failed', 'dead'];

/** Delivery state of one event to one consumer. */
export interface Delivery {
  eventId: string;
  consumer: string;
  tenantId: string;
  status: DeliveryStatus;
  attempts: number;
  lastError: string | null;
  nextAttemptAt: number | null;
  orderingKey: string | null;
  updatedAt: number;
}

/** What the relay hands the bus, and the bus hands a consumer. */
export interface BusMessage {
  eventId: string;
  tenantId: string;
  type: string;
  orderingKey?: string | null;
  /** Set for replays: only this consumer receives the message. */
  target?: string;
}

/** Which events a replay or a listing selects. */
export interface EventSelection {
  from?: number;
  to?: number;
  types?: string[];
  userId?: string;
}
