/** The stats feature's port: event counts per tenant, type and hour (table `event_counts`). */
import type { LogEntry } from '../ports/events.types.js';
import type { StoreTx } from '../ports/store.port.js';

export const HOUR_MS = 3_600_000;

export interface HourlyCount {
  type: string;
  /** Start of the hour (ms since epoch, UTC). */
  hour: number;
  count: number;
}

export interface StatsStore {
  /**
   * Adds one to the count of each event's tenant, type and hour (of its `time`), inside `tx`:
   * the counts commit together with the consumer's new position, so each event counts once.
   */
  countBatch(tx: StoreTx, events: ReadonlyArray<Pick<LogEntry, 'tenantId' | 'type' | 'time'>>): Promise<void>;
  /** Deletes a tenant's counts, inside `tx` (a rebuild then counts the tenant's log again). */
  clearTenant(tx: StoreTx, tenantId: string): Promise<void>;
  /** A tenant's counts of the hours that start in [hour of `from`, `to`), oldest hour first, then by type. */
  totals(tenantId: string, from: number, to: number): Promise<HourlyCount[]>;
}
