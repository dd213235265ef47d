/**
 * What the operations API shows of the consumers, derived from positions, exception rows and
 * replay cursors (there are no per-event delivery rows): each event's status per consumer, and
 * each consumer's lag in events and seconds, per partition.
 */
import { anyTypeMatches } from '../../platform/patterns.js';
import type { Delivery, EventSelection, LogEntry } from '../../ports/events.types.js';
import type { ConsumerPosition, FailureRecord, ReplayCursor, Store } from '../../ports/store.port.js';
import type { ConsumerDefinition, ConsumerRegistry } from './consumer.registry.js';
import { orderingKeyOf, partitionOf } from './partitions.js';

/** Lag counts stop here: on a long backlog the figure says "at least". */
export const LAG_COUNT_CAP = 10_000;

export interface PartitionLag {
  partition: number;
  position: number;
  owner: string | null;
  lagEvents: number;
  lagSeconds: number;
}

export interface ConsumerLag {
  consumer: ConsumerDefinition;
  types: string[];
  pending: number;
  failed: number;
  parked: number;
  dead: number;
  /** Open replay cursors (partitions not yet through). */
  replaying: number;
  lagEvents: number;
  lagSeconds: number;
  partitions: PartitionLag[];
}

function inSelection(event: LogEntry, tenantId: string, selection: EventSelection): boolean {
  if (event.tenantId !== tenantId) return false;
  if (selection.userId !== undefined && event.userId !== selection.userId) return false;
  if (selection.from !== undefined && event.receivedAt < selection.from) return false;
  if (selection.to !== undefined && event.receivedAt > selection.to) return false;
  return !selection.types || selection.types.length === 0 || anyTypeMatches(selection.types, event.type);
}

export class ConsumerStatus {
  constructor(private readonly store: Store, private readonly registry: ConsumerRegistry) {}

  async typesOf(consumer: ConsumerDefinition): Promise<string[]> {
    return consumer.subscription ? consumer.subscription() : consumer.types;
  }

  /** The event's delivery to every durable consumer that wants its type. */
  async forEvent(event: LogEntry): Promise<Delivery[]> {
    const [failures, positions, replays] = await Promise.all([
      this.store.failures.forEvent(event.tenantId, event.id), this.store.positions.list(), this.store.replays.openCursors(event.tenantId),
    ]);
    const out: Delivery[] = [];
    for (const consumer of this.registry.durable()) {
      const failure = failures.find((f) => f.consumer === consumer.name);
      if (!failure && !anyTypeMatches(await this.typesOf(consumer), event.type)) continue;
      out.push(failure ? fromFailure(failure) : this.#derived(consumer, event, positions, replays));
    }
    return out.sort((a, b) => (a.consumer < b.consumer ? -1 : 1));
  }

  #derived(consumer: ConsumerDefinition, event: LogEntry, positions: ConsumerPosition[], replays: ReplayCursor[]): Delivery {
    const partition = partitionOf(consumer, event);
    const position = positions.find((p) => p.consumer === consumer.name && p.partition === partition);
    const replaying = replays.some((r) => r.consumer === consumer.name && r.partition === partition
      && r.position < event.seq && event.seq <= r.upTo && inSelection(event, r.tenantId, r.selection));
    const done = !replaying && position !== undefined && event.seq <= position.position;
    return {
      eventId: event.id, consumer: consumer.name, tenantId: event.tenantId, status: done ? 'done' : 'pending',
      attempts: done ? 1 : 0, lastError: null, nextAttemptAt: null, orderingKey: orderingKeyOf(consumer, event),
      updatedAt: done ? position.updatedAt : event.receivedAt,
    };
  }

  /** Lag of every consumer; counts of events and exceptions are the tenant's when `tenantId` is given. */
  async lag(tenantId: string | null): Promise<ConsumerLag[]> {
    const { store } = this;
    const [positions, counts, replays] = await Promise.all([store.positions.list(), store.failures.counts(tenantId), store.replays.openCursors(tenantId)]);
    const now = Date.now();
    const tenant = tenantId ?? undefined;
    const out: ConsumerLag[] = [];
    // Partitions usually stand at the same position: one count per position.
    const tails = new Map<number, Promise<[number, number | null]>>();
    const tail = (position: number) => {
      let t = tails.get(position);
      if (!t) tails.set(position, t = Promise.all([store.events.countAfter(position, LAG_COUNT_CAP, tenant), store.events.receivedAfter(position, tenant)]));
      return t;
    };
    for (const consumer of this.registry.list()) {
      const mine = positions.filter((p) => p.consumer === consumer.name);
      const partitions: PartitionLag[] = [];
      for (const p of mine) {
        // Events after the position of any partition: an upper bound for one partition, exact for unordered consumers.
        const [lagEvents, oldest] = await tail(p.position);
        partitions.push({ partition: p.partition, position: p.position, owner: p.owner, lagEvents, lagSeconds: oldest === null ? 0 : Math.max(0, (now - oldest) / 1000) });
      }
      const c = counts.find((x) => x.consumer === consumer.name);
      const replaying = replays.filter((r) => r.consumer === consumer.name).length;
      // An open replay counts as one pending event per partition still replaying.
      const pending = partitions.reduce((max, p) => Math.max(max, p.lagEvents), 0) + (c?.parked ?? 0) + replaying;
      const oldestFailed = c?.oldestSeq == null ? null : await store.events.receivedAfter(c.oldestSeq - 1, tenant);
      const lagSeconds = Math.max(0, ...partitions.map((p) => p.lagSeconds), oldestFailed === null ? 0 : (now - oldestFailed) / 1000);
      out.push({
        consumer, types: await this.typesOf(consumer), pending, failed: c?.failed ?? 0, parked: c?.parked ?? 0, dead: c?.dead ?? 0,
        replaying,
        lagEvents: pending + (c?.failed ?? 0), lagSeconds, partitions,
      });
    }
    return out;
  }
}

function fromFailure(f: FailureRecord): Delivery {
  return {
    eventId: f.eventId, consumer: f.consumer, tenantId: f.tenantId, status: f.status === 'parked' ? 'pending' : f.status,
    attempts: f.attempts, lastError: f.lastError, nextAttemptAt: f.nextAttemptAt, orderingKey: f.orderingKey, updatedAt: f.updatedAt,
  };
}
