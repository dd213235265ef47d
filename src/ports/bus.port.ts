import type { BusMessage } from './events.types.js';

/** What a consumer's handler made of one message; the bus acknowledges accordingly. */
export type DeliveryOutcome =
  | { kind: 'done' }
  | { kind: 'retry'; delayMs: number }
  | { kind: 'dead' };

export interface SubscriptionSpec {
  /** Durable consumer name, shared by every process running that consumer. */
  consumer: string;
  /** Type patterns (`*`, `article.*`, `order.placed`). */
  types: string[];
  /** Messages handled at once by this process. */
  concurrency: number;
  /** Deliver messages with the same ordering key one at a time, in log order. */
  ordered: boolean;
  /** Deliveries before a message is given up as dead. */
  maxAttempts: number;
}

export type MessageHandler = (message: BusMessage, attempt: number) => Promise<DeliveryOutcome>;

export interface BusSubscription {
  /** Stops taking messages and waits (up to `graceMs`) for in-flight ones; unfinished ones are handed back. */
  stop(graceMs: number): Promise<void>;
}

/**
 * Carries relayed events to consumers. The in-process bus drives consumers from the Store's
 * delivery table; the NATS bus from JetStream durable consumers. Both run test/contract/bus.
 */
export interface Bus {
  readonly kind: 'local' | 'nats';
  /**
   * True when the bus itself claims deliveries in the Store (in-process bus): handlers get
   * messages already marked processing. False (NATS): the dispatcher records `begin` itself.
   */
  readonly claimsInStore: boolean;
  init(): Promise<void>;
  close(): Promise<void>;
  /** Publishes relayed events; resolves once the bus holds them durably. Throws when unavailable. */
  publish(messages: BusMessage[]): Promise<void>;
  subscribe(spec: SubscriptionSpec, handler: MessageHandler): Promise<BusSubscription>;
  /** True when the bus can take messages now. */
  ready(): Promise<{ ok: boolean; detail?: string }>;
}

/** Fan-out of live events to realtime clients across API processes (not durable). */
export interface Broadcast {
  publish(tenantId: string, payload: string): Promise<void>;
  subscribe(listener: (tenantId: string, payload: string) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}
