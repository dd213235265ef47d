/**
 * Replay: re-feeds a selection of a tenant's events to one consumer through a replay cursor per
 * partition (the consumer's position is left alone). Projections that declare `rebuildTenant`
 * are rebuilt instead: the tenant's state is cleared and every event of the tenant up to the
 * projection's position is fed again, in one consistent cut (the positions are locked while the
 * cut is taken, so no event is counted twice or lost).
 */
import { AppError } from '../platform/errors.js';
import { newId } from '../platform/ids.js';
import type { EventSelection } from '../ports/events.types.js';
import type { ReplayCursor, Store } from '../ports/store.port.js';
import type { ConsumerDefinition, ConsumerRegistry } from './consumers/consumer.registry.js';
import { partitionCount } from './consumers/partitions.js';

export interface ReplayResult {
  replayId: string;
  /** Events the replay selects (all of the tenant's for a rebuild). */
  count: number;
  mode: 'replay' | 'rebuild';
}

/** Replays (or rebuilds) of one consumer a tenant may have running at once: each one re-reads the tenant's log. */
export const MAX_OPEN_REPLAYS = 4;

const isEmpty = (s: EventSelection) => s.from === undefined && s.to === undefined && (s.types?.length ?? 0) === 0 && s.userId === undefined;

export class ReplayService {
  constructor(private readonly store: Store, private readonly registry: ConsumerRegistry, private readonly wake: () => void = () => {}) {}

  durableConsumer(name: string): ConsumerDefinition {
    const consumer = this.registry.get(name);
    if (!consumer) throw new AppError('CONSUMER_UNKNOWN', { detail: `no consumer named ${name}` });
    if (consumer.delivery !== 'durable') {
      throw new AppError('VALIDATION_FAILED', { detail: `${name} is a live consumer: it has nothing to replay` });
    }
    return consumer;
  }

  /** Counts what a replay would select, without changing anything. */
  async count(tenantId: string, name: string, selection: EventSelection): Promise<number> {
    const consumer = this.#checked(name, selection);
    return this.store.events.count(tenantId, consumer.rebuildTenant ? {} : selection);
  }

  /**
   * `limited`: the operations API's replays are bounded per tenant and consumer; the server's own
   * (a collection rebuilt after its settings or the embedder changed) must not be refused
   * halfway, once the collection has been cleared.
   */
  async replay(tenantId: string, name: string, selection: EventSelection, options: { limited?: boolean } = {}): Promise<ReplayResult> {
    const consumer = this.#checked(name, selection);
    if (options.limited) await this.#withinLimit(tenantId, name);
    const id = newId();
    const now = Date.now();
    const cursor = (partition: number, upTo: number, sel: EventSelection): ReplayCursor => ({
      id, partition, consumer: name, tenantId, selection: sel, position: 0, upTo, createdAt: now, finishedAt: null,
    });
    if (consumer.rebuildTenant) {
      await this.store.transaction(async (tx) => {
        const positions = await this.store.positions.list(name, tx);
        await consumer.rebuildTenant!(tenantId, tx);
        // Everything the projection had applied is fed again; what comes after, its live position applies.
        await this.store.replays.open(positions.map((p) => cursor(p.partition, p.position, {})), tx);
      });
    } else {
      const head = await this.store.events.head();
      await this.store.replays.open(Array.from({ length: partitionCount(consumer) }, (_, p) => cursor(p, head, selection)));
    }
    this.wake();
    return { replayId: id, count: await this.store.events.count(tenantId, consumer.rebuildTenant ? {} : selection), mode: consumer.rebuildTenant ? 'rebuild' : 'replay' };
  }

  /**
   * Rebuild of a whole consumer: every partition goes back to the start of the log, for every
   * tenant. Only for consumers whose handling is idempotent; projections that clear their state
   * per tenant are rebuilt per tenant with `replay`.
   */
  async resetPosition(name: string): Promise<{ consumer: string; position: number }> {
    const consumer = this.durableConsumer(name);
    if (consumer.rebuildTenant) {
      throw new AppError('VALIDATION_FAILED', { detail: `${name} keeps counts that a reset would apply twice: rebuild it per tenant with replay` });
    }
    await this.store.positions.reset(name, 0, Date.now());
    this.wake();
    return { consumer: name, position: 0 };
  }

  async retryDead(tenantId: string, name: string): Promise<number> {
    this.durableConsumer(name);
    const count = await this.store.failures.retryDead(tenantId, name, Date.now());
    this.wake();
    return count;
  }

  async #withinLimit(tenantId: string, name: string): Promise<void> {
    const open = new Set((await this.store.replays.openCursors(tenantId)).filter((c) => c.consumer === name).map((c) => c.id));
    if (open.size >= MAX_OPEN_REPLAYS) {
      throw new AppError('REPLAY_LIMIT_REACHED', { detail: `${open.size} replays of ${name} are running for this tenant; wait for one to finish` });
    }
  }

  #checked(name: string, selection: EventSelection): ConsumerDefinition {
    const consumer = this.durableConsumer(name);
    if (consumer.rebuildTenant && !isEmpty(selection)) {
      throw new AppError('VALIDATION_FAILED', {
        detail: `${name} is rebuilt for the whole tenant, not fed a selection: replay it without from, to, types or userId`,
      });
    }
    return consumer;
  }
}
