import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Prometheus metrics of one process; served at /metrics. */
export interface Metrics {
  registry: Registry;
  httpDuration: Histogram<'method' | 'route' | 'status'>;
  eventsIngested: Counter<'type'>;
  deliveryFailures: Counter<'consumer' | 'outcome'>;
  deliveryDuration: Histogram<'consumer' | 'outcome'>;
  consumerLagEvents: Gauge<'consumer'>;
  consumerLagSeconds: Gauge<'consumer'>;
  degraded: Counter<'component' | 'reason'>;
  streamClients: Gauge<'transport'>;
  streamDropped: Counter<'transport'>;
  /** Events the indexer did not apply to a collection, by reason (`member_write`: a member's event for a shared collection). */
  indexerSkipped: Counter<'reason'>;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    httpDuration: new Histogram({
      name: 'eventrag_http_request_duration_seconds',
      help: 'HTTP request duration by route and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    eventsIngested: new Counter({ name: 'eventrag_events_ingested_total', help: 'Events stored, by type', labelNames: ['type'], registers: [registry] }),
    deliveryFailures: new Counter({
      name: 'eventrag_delivery_failures_total',
      help: 'Failed deliveries by consumer and outcome (retry or dead)',
      labelNames: ['consumer', 'outcome'],
      registers: [registry],
    }),
    deliveryDuration: new Histogram({
      name: 'eventrag_delivery_duration_seconds',
      help: 'Consumer handler duration',
      labelNames: ['consumer', 'outcome'],
      buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
      registers: [registry],
    }),
    consumerLagEvents: new Gauge({ name: 'eventrag_consumer_lag_events', help: 'Events a consumer has not handled yet (after its position, parked or failed)', labelNames: ['consumer'], registers: [registry] }),
    consumerLagSeconds: new Gauge({ name: 'eventrag_consumer_lag_seconds', help: 'Age of the oldest event a consumer has not handled yet', labelNames: ['consumer'], registers: [registry] }),
    degraded: new Counter({ name: 'eventrag_degraded_total', help: 'Responses served in a degraded mode', labelNames: ['component', 'reason'], registers: [registry] }),
    streamClients: new Gauge({ name: 'eventrag_stream_clients', help: 'Connected realtime clients', labelNames: ['transport'], registers: [registry] }),
    streamDropped: new Counter({ name: 'eventrag_stream_dropped_total', help: 'Realtime clients dropped for being slow', labelNames: ['transport'], registers: [registry] }),
    indexerSkipped: new Counter({ name: 'eventrag_indexer_skipped_total', help: 'Events the indexer did not apply to a collection, by reason', labelNames: ['reason'], registers: [registry] }),
  };
}
