/**
 * The `stats` consumer: a transactional projection of every event into hourly counts. Its
 * increments commit in the batch's transaction together with its new position, so each event
 * is counted once without any per-event row. Counting again is not idempotent, so a replay of
 * `stats` is a rebuild of the tenant: its counts are cleared and its whole log is counted again.
 */
import type { ConsumerDefinition } from '../events/consumers/consumer.registry.js';
import type { StatsStore } from './stats.store.js';

export function statsConsumer(store: StatsStore): ConsumerDefinition {
  return {
    name: 'stats',
    description: 'Counts events per tenant, type and hour (GET /v1/events/stats)',
    types: ['*'],
    delivery: 'durable',
    batchSize: 512,
    handleBatch: (events, tx) => store.countBatch(tx, events),
    rebuildTenant: (tenantId, tx) => store.clearTenant(tx, tenantId),
  };
}
