
/** One committed event as published to the outside stream. */
export interface PublishedEvent {
  eventId: string;
  tenantId: string;
  type: string;
  orderingKey: string | null;
  /** The event as JSON (the shape `GET /v1/events/:id` answers, without delivery status). */
  payload: string;
}

/**
 * Publishes committed events to a stream other services subscribe to (NATS JetStream: one
 * subject per tenant and type, the event id as message id so a re-publication is dropped as a
 * duplicate). Fed by the `nats-publisher` consumer, which reads the log like every consumer.
 */
export interface EventPublisher {
  readonly kind: 'nats';
  init(): Promise<void>;
  close(): Promise<void>;
  /** Resolves once the stream holds every message durably; throws when it is unavailable. */
  publish(events: PublishedEvent[]): Promise<void>;
  /** True when the stream can take messages now. */
  ready(): Promise<{ ok: boolean; detail?: string }>;
}

/** Fan-out of live events to realtime clients across API processes (not durable). */
export interface Broadcast {
  publish(tenantId: string, payload: string): Promise<void>;
  subscribe(listener: (tenantId: string, payload: string) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}
