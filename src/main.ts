/**
 * Composition root: config → adapters → services → HTTP and workers. The only module that
 * knows which adapter backs each port.
 */
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import type { Config } from './config.js';
import { ConsumerRegistry, type ConsumerDefinition } from './events/consumers/consumer.registry.js';
import { Dispatcher } from './events/consumers/dispatcher.js';
import { realtimeConsumer, statsConsumer } from './events/consumers/builtin.consumers.js';
import { CatalogService } from './events/catalog/catalog.service.js';
import { catalogRoutes } from './events/catalog/catalog.routes.js';
import { IngestService } from './events/ingest/ingest.service.js';
import { ingestRoutes } from './events/ingest/ingest.routes.js';
import { segmentRoutes } from './events/ingest/segment/segment.routes.js';
import { createSanitiser } from './events/ingest/sanitise.js';
import { operationsRoutes } from './events/operations.routes.js';
import { RealtimeHub } from './events/realtime/realtime.hub.js';
import { realtimeRoutes } from './events/realtime/realtime.routes.js';
import { Relay } from './events/relay.js';
import { ReplayService } from './events/replay.service.js';
import { buildOpsServer } from './http/ops-server.js';
import { buildServer } from './http/server.js';
import { Tracker } from './http/tracking.plugin.js';
import { Authenticator } from './identity/authenticator.js';
import { ensureDemoTenant, type DemoCredentials } from './identity/bootstrap.js';
import { identityRoutes } from './identity/identity.routes.js';
import { sensitiveKeys } from './config.js';
import { createLogger, type Logger } from './platform/logger.js';
import { logDestination } from './platform/log-format.js';
import { createMetrics, type Metrics } from './platform/metrics.js';
import { createBackends, type Backends } from './backends.js';
import { createRetrieval, type Retrieval } from './rag/rag.module.js';

export interface App {
  config: Config;
  logger: Logger;
  metrics: Metrics;
  backends: Backends;
  registry: ConsumerRegistry;
  ingest: IngestService;
  catalog: CatalogService;
  replay: ReplayService;
  relay: Relay;
  dispatcher: Dispatcher;
  hub: RealtimeHub;
  tracker: Tracker;
  retrieval: Retrieval;
  /** The HTTP server (in the worker role only health and metrics). */
  http: FastifyInstance | null;
  /** Set when this start created the demo tenant: its keys, shown once. */
  demo: DemoCredentials | null;
  /** Starts the relay and, unless the role is `api`, the consumers. */
  startWorkers(consumers?: string[]): Promise<void>;
  /** Graceful stop: no new requests, in-flight deliveries finish or are handed back. */
  stop(): Promise<void>;
}

export interface CreateAppOptions {
  logger?: Logger;
  /** Extra consumers (tests and later features register theirs here). */
  consumers?: Array<(app: Omit<App, 'startWorkers' | 'stop' | 'http'>) => ConsumerDefinition>;
  /** Extra route plugins under /v1 (embedding applications and tests). */
  routes?: Array<{ plugin: FastifyPluginAsync<any>; options: object }>;
}

export async function createApp(config: Config, options: CreateAppOptions = {}): Promise<App> {
  const logger = options.logger ?? createLogger(config.LOG_LEVEL, 'eventrag', logDestination(config));
  const metrics = createMetrics();
  const backends = await createBackends(config, logger);
  const { store, bus, broadcast } = backends;
  await store.migrate();
  const demo = config.DEMO_TENANT ? await ensureDemoTenant(store) : null;

  const registry = new ConsumerRegistry();
  const catalog = new CatalogService(store, { maxBytes: config.CATALOG_SCHEMA_MAX_BYTES, maxDepth: config.REQUEST_MAX_DEPTH, validateTimeoutMs: config.CATALOG_VALIDATE_TIMEOUT_MS });
  const relay = new Relay({
    store, bus, registry, logger: logger.child({ component: 'relay' }), batchSize: config.RELAY_BATCH, pollMs: config.CONSUMER_POLL_MS,
    onRelayed: () => backends.wakeConsumers(),
  });
  const sanitise = createSanitiser(sensitiveKeys(config), config.SENSITIVE_MODE);
  const ingest = new IngestService({
    store, catalog, metrics, sanitise,
    idempotencyWindowMs: config.IDEMPOTENCY_WINDOW_HOURS * 3_600_000, eventMaxBytes: config.EVENT_MAX_BYTES, onAppended: relay.wake,
  });
  const hub = new RealtimeHub(broadcast, metrics, backends.describe.broadcast === 'local');
  const replay = new ReplayService(store, bus, registry);
  const dispatcher = new Dispatcher({
    store, bus, registry, metrics, logger: logger.child({ component: 'dispatcher' }), leaseMs: config.CONSUMER_LEASE_MS,
    retry: { maxAttempts: config.CONSUMER_MAX_ATTEMPTS, backoffBaseMs: config.CONSUMER_BACKOFF_BASE_MS, backoffMaxMs: config.CONSUMER_BACKOFF_MAX_MS },
  });
  const tracker = new Tracker(ingest, logger.child({ component: 'tracking' }), { headerMaxLength: config.HEADER_MAX_LENGTH });
  const authenticator = new Authenticator(store, config);

  const retrieval = await createRetrieval({ config, db: store.db, cache: backends.cache, ingest, replay, logger, metrics });

  registry.register(realtimeConsumer(hub));
  registry.register(statsConsumer(store.stats));
  registry.register(retrieval.consumer);
  const partial = { config, logger, metrics, backends, registry, ingest, catalog, replay, relay, dispatcher, hub, tracker, retrieval, demo };
  for (const make of options.consumers ?? []) registry.register(make(partial));

  const updateLag = async () => {
    const now = Date.now();
    const counts = new Map((await store.deliveries.counts(null)).map((c) => [c.consumer, c]));
    for (const { name } of registry.durable()) {
      const c = counts.get(name);
      metrics.consumerLagEvents.set({ consumer: name }, c ? c.pending + c.processing + c.failed : 0);
      metrics.consumerLagSeconds.set({ consumer: name }, c?.oldestUndoneAt ? (now - c.oldestUndoneAt) / 1000 : 0);
    }
  };
  const health = async () => ({ store: await store.ready(), bus: await bus.ready() });

  const http = config.ROLE === 'worker' ? await buildOpsServer({ logger, metrics, health, beforeScrape: updateLag }) : await buildServer({
    config, logger, metrics, authenticator, tracker, health, beforeScrape: updateLag, rateLimitRedis: backends.redis ?? undefined,
    features: [
      { plugin: ingestRoutes, options: { ingest, batchMaxEvents: config.BATCH_MAX_EVENTS, batchMaxBytes: config.BATCH_MAX_BYTES } },
      { plugin: segmentRoutes, options: { ingest, identity: store.identity, authenticator, sanitise } },
      { plugin: operationsRoutes, options: { store, registry, replay } },
      { plugin: catalogRoutes, options: { catalog } },
      { plugin: identityRoutes, options: { store, authenticator } },
      { plugin: realtimeRoutes, options: { hub, store, bufferMax: config.STREAM_BUFFER_MAX, bufferMaxBytes: config.STREAM_BUFFER_MAX_BYTES, maxPerPrincipal: config.STREAM_MAX_PER_PRINCIPAL, maxPerTenant: config.STREAM_MAX_PER_TENANT, heartbeatMs: config.STREAM_HEARTBEAT_MS } },
      ...retrieval.routes,
      ...(options.routes ?? []),
    ],
  });
  if (config.ROLE !== 'worker') await hub.start();

  const pruneTimer = setInterval(() => {
    store.events.pruneIdempotency(Date.now() - config.IDEMPOTENCY_WINDOW_HOURS * 3_600_000)
      .catch((error: unknown) => logger.warn({ err: error }, 'pruning idempotency keys failed'));
  }, 3_600_000);
  pruneTimer.unref();

  let stopped = false;
  return {
    ...partial,
    http,
    async startWorkers(consumers = config.CONSUMERS.split(',').map((c) => c.trim()).filter(Boolean)) {
      relay.start();
      if (config.ROLE === 'api') return;
      await retrieval.reindexStale();
      await dispatcher.start(consumers);
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(pruneTimer);
      await http?.close();
      await tracker.flush();
      await relay.stop();
      await dispatcher.stop(config.SHUTDOWN_GRACE_MS);
      await hub.stop();
      await catalog.close();
      await retrieval.close();
      await backends.close();
    },
  };
}

