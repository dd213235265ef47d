/**
 * One subscription of a process to a JetStream consumer pair (live events + replays): pulls with
 * `consume()`, runs up to `spec.concurrency` handlers at once, keeps long handlers alive with
 * `working()` heartbeats, serialises messages of one ordering key when `spec.ordered`, and settles
 * each message from the handler's outcome (done → ack, retry → nak(delay), dead → term).
 */
import type { ConsumerMessages, JsMsg } from '@nats-io/jetstream';
import { anyTypeMatches } from '../../../platform/patterns.js';
import type { BusSubscription, DeliveryOutcome, MessageHandler, SubscriptionSpec } from '../../../ports/bus.port.js';
import type { BusMessage } from '../../../ports/events.types.js';

export interface SubscriptionSettings {
  /** Interval of `working()` heartbeats while a message is held (well below the consumer's ack_wait). */
  heartbeatMs: number;
  /** Redelivery delay when a handler throws instead of returning an outcome. */
  crashRetryMs: number;
  /** Told when pulling from a consumer fails for good (the subscription stops taking messages). */
  onError: (error: unknown) => void;
}

/** Where a pulled message came from: the live consumer checks types, the replay one the target. */
export type MessageSource = 'live' | 'replay';

export class NatsSubscription implements BusSubscription {
  readonly #inflight = new Map<JsMsg, Promise<void>>();
  readonly #handedBack = new WeakSet<JsMsg>();
  readonly #tails = new Map<string, Promise<void>>();
  readonly #streams: ConsumerMessages[] = [];
  readonly #loops: Array<Promise<void>> = [];
  #stopping = false;

  constructor(
    private readonly spec: SubscriptionSpec,
    private readonly handler: MessageHandler,
    private readonly settings: SubscriptionSettings,
  ) {}

  /** Starts pulling from one consumer's message stream. */
  attach(messages: ConsumerMessages, source: MessageSource): void {
    this.#streams.push(messages);
    this.#loops.push(this.#pull(messages, source).catch((error: unknown) => this.settings.onError(error)));
  }

  async stop(graceMs: number): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    for (const messages of this.#streams) messages.stop();
    const grace = new Promise<void>((resolve) => setTimeout(resolve, graceMs).unref());
    await Promise.race([Promise.allSettled([...this.#inflight.values()]), grace]);
    for (const message of this.#inflight.keys()) {
      this.#handedBack.add(message);
      message.nak();
    }
    await Promise.allSettled(this.#loops);
  }

  async #pull(messages: ConsumerMessages, source: MessageSource): Promise<void> {
    for await (const message of messages) {
      if (this.#stopping) {
        message.nak();
        continue;
      }
      while (this.#inflight.size >= this.spec.concurrency) await Promise.race(this.#inflight.values());
      this.#dispatch(message, source);
    }
  }

  #dispatch(message: JsMsg, source: MessageSource): void {
    const decoded = decode(message);
    if (!decoded) {
      message.term('undecodable message');
      return;
    }
    if (!this.#wants(decoded, source)) {
      message.ack();
      return;
    }
    // A failed ack/nak means the connection is gone: the server redelivers after ack_wait.
    const task = this.#handle(message, decoded).catch(() => undefined).finally(() => this.#inflight.delete(message));
    this.#inflight.set(message, task);
  }

  /** Client-side check on top of the server's filter subjects (exact prefix semantics, old servers). */
  #wants(message: BusMessage, source: MessageSource): boolean {
    if (source === 'replay') return message.target === this.spec.consumer;
    return message.target === undefined && anyTypeMatches(this.spec.types, message.type);
  }

  async #handle(message: JsMsg, decoded: BusMessage): Promise<void> {
    const heartbeat = setInterval(() => message.working(), this.settings.heartbeatMs);
    try {
      await this.#inOrder(decoded.orderingKey ?? null, async () => {
        const attempt = message.info.deliveryCount;
        const outcome = await this.handler(decoded, attempt).catch(
          (): DeliveryOutcome => ({ kind: 'retry', delayMs: this.settings.crashRetryMs }),
        );
        if (!this.#handedBack.has(message)) this.#settle(message, outcome, attempt);
      });
    } finally {
      clearInterval(heartbeat);
    }
  }

  #settle(message: JsMsg, outcome: DeliveryOutcome, attempt: number): void {
    if (outcome.kind === 'done') message.ack();
    else if (outcome.kind === 'dead') message.term('dead');
    else if (attempt >= this.spec.maxAttempts) message.term('max attempts reached');
    else message.nak(Math.max(0, Math.round(outcome.delayMs)));
  }

  /** Runs `task` after every earlier task of the same ordering key (when the spec is ordered). */
  async #inOrder(key: string | null, task: () => Promise<void>): Promise<void> {
    if (!this.spec.ordered || key === null) return task();
    const previous = this.#tails.get(key) ?? Promise.resolve();
    const current = previous.catch(() => undefined).then(task);
    this.#tails.set(key, current);
    try {
      await current;
    } finally {
      if (this.#tails.get(key) === current) this.#tails.delete(key);
    }
  }
}

function decode(message: JsMsg): BusMessage | undefined {
  try {
    const value = message.json<Partial<BusMessage>>();
    if (typeof value.eventId !== 'string' || typeof value.tenantId !== 'string' || typeof value.type !== 'string') return undefined;
    return {
      eventId: value.eventId,
      tenantId: value.tenantId,
      type: value.type,
      orderingKey: value.orderingKey ?? null,
      ...(typeof value.target === 'string' ? { target: value.target } : {}),
    };
  } catch {
    return undefined;
  }
}
