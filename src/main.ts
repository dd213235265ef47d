/**
 * Composition root: config → adapters → services → HTTP and workers. The only module that
 * knows which adapter backs each port.
 */
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import type { Config } from './config.js';
import { ConsumerRegistry, type ConsumerDefinition } from './events/consumers/consumer.registry.js';
import { Consumers } from './events/consumers/consumer-runner.js';
import { ConsumerStatus } from './events/consumers/consumer-status.js';
import { publisherConsumer } from './events/consumers/publisher.consumer.js';
import { realtimeConsumer } from './events/consumers/builtin.consumers.js';
import { CatalogService } from './events/catalog/catalog.service.js';
import { catalogRoutes } from './events/catalog/catalog.routes.js';
import { IngestService } from './events/ingest/ingest.service.js';
import { ingestRoutes } from './events/ingest/ingest.routes.js';
import { createSanitiser } from './events/ingest/sanitise.js';
import { operationsRoutes } from './events/operations.routes.js';
import { RealtimeHub } from './events/realtime/realtime.hub.js';
import { realtimeRoutes } from './events/realtime/realtime.routes.js';
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
import { retrievalFeature, type RetrievalApi } from './rag/retrieval.feature.js';
import { analyticsFeature } from './analytics/analytics.feature.js';
import { memoryFeature } from './memory/memory.feature.js';
import { categorizerFeature } from './categorizer/categorizer.feature.js';
import { identityFeature } from './identity/profiles/profiles.feature.js';
import { statsFeature } from './stats/stats.feature.js';
import type { FeatureContext, FeatureDefinition, SqlDialect } from './feature.js';
import { FeatureHost, featureMigrations } from './feature-host.js';
import { PrivacyRegistry } from './identity/privacy.registry.js';
import type { FeatureMigrations } from './ports/store.port.js';

/**
 * The features of this server, set up in this order (closed in reverse). Adding a feature is one
 * line here and touches no other feature (docs/architecture.md, "Adding a feature").
 */
export const FEATURES: readonly FeatureDefinition<any>[] = [
  identityFeature,
  statsFeature,
  retrievalFeature,
  memoryFeature,
  categorizerFeature,
  analyticsFeature,
];

/** What `store.migrate` runs after the backbone's migrations (the CLI's store commands too). */
export function migrationsOfFeatures(dialect: SqlDialect): FeatureMigrations[] {
  return featureMigrations(FEATURES, dialect);
}

export interface App {
  config: Config;
  logger: Logger;
  metrics: Metrics;
  backends: Backends;
  registry: ConsumerRegistry;
  ingest: IngestService;
  catalog: CatalogService;
  replay: ReplayService;
  /** The consumers this process runs (after `startWorkers`). */
  consumers: Consumers;
  status: ConsumerStatus;
  hub: RealtimeHub;
  tracker: Tracker;
  retrieval: RetrievalApi;
  /** Feature name → the api its setup returned. */
  features: Record<string, unknown>;
  /** Erases or exports a person across every feature. */
  privacy: PrivacyRegistry;
  /** The HTTP server (in the worker role only health and metrics). */
  http: FastifyInstance | null;
  /** Set when this start created the demo tenant: its keys, shown once. */
  demo: DemoCredentials | null;
  /** Starts this process's consumers: the live ones in the `api` role, the durable ones in `worker`, all in `all`. */
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
  const { store, publisher, broadcast } = backends;
  await store.migrate(migrationsOfFeatures(store.dialect));
  const demo = config.DEMO_TENANT ? await ensureDemoTenant(store) : null;

  const registry = new ConsumerRegistry();
  const catalog = new CatalogService(store, { maxBytes: config.CATALOG_SCHEMA_MAX_BYTES, maxDepth: config.REQUEST_MAX_DEPTH, validateTimeoutMs: config.CATALOG_VALIDATE_TIMEOUT_MS });
  const consumers = new Consumers({
    store, registry, metrics, logger: logger.child({ component: 'consumers' }), leaseMs: config.CONSUMER_LEASE_MS, pollMs: config.CONSUMER_POLL_MS,
    retry: { maxAttempts: config.CONSUMER_MAX_ATTEMPTS, backoffBaseMs: config.CONSUMER_BACKOFF_BASE_MS, backoffMaxMs: config.CONSUMER_BACKOFF_MAX_MS },
  });
  const sanitise = createSanitiser(sensitiveKeys(config), config.SENSITIVE_MODE);
  const ingest = new IngestService({
    store, catalog, metrics, sanitise,
    idempotencyWindowMs: config.IDEMPOTENCY_WINDOW_HOURS * 3_600_000, eventMaxBytes: config.EVENT_MAX_BYTES, onAppended: consumers.wake,
  });
  const hub = new RealtimeHub(broadcast, metrics, backends.describe.broadcast === 'local');
  const replay = new ReplayService(store, registry, consumers.wakeForExceptions);
  const status = new ConsumerStatus(store, registry);
  const tracker = new Tracker(ingest, logger.child({ component: 'tracking' }), { headerMaxLength: config.HEADER_MAX_LENGTH });
  const authenticator = new Authenticator(store, config);


  registry.register(realtimeConsumer(hub));
  if (publisher) registry.register(publisherConsumer(publisher));
  const privacy = new PrivacyRegistry();
  const context: Omit<FeatureContext, 'featureApi'> = {
    config, logger, metrics, store, db: store.db, dialect: store.dialect, cache: backends.cache,
    embedder: backends.embedder, generator: backends.generator, fallbackGenerator: backends.fallbackGenerator, searchIndex: backends.searchIndex,
    setSearchRebuildSource: backends.setSearchRebuildSource,
    ingest, catalog, replay, authenticator, sanitise,
  };
  const featureHost = await FeatureHost.setup(FEATURES, context, { registry, privacy });
  const retrieval = featureHost.apis().retrieval as RetrievalApi;
  const partial = { config, logger, metrics, backends, registry, ingest, catalog, replay, consumers, status, hub, tracker, retrieval, features: featureHost.apis(), privacy, demo };
  for (const make of options.consumers ?? []) registry.register(make(partial));

  const updateLag = async () => {
    for (const lag of await status.lag(null)) {
      metrics.consumerLagEvents.set({ consumer: lag.consumer.name }, lag.lagEvents);
      metrics.consumerLagSeconds.set({ consumer: lag.consumer.name }, lag.lagSeconds);
    }
  };
  // The publisher matters where the nats-publisher consumer runs: an API process ingests without it.
  const health = async () => ({ store: await store.ready(), ...(publisher && config.ROLE !== 'api' ? { publisher: await publisher.ready() } : {}) });

  const http = config.ROLE === 'worker' ? await buildOpsServer({ logger, metrics, health, beforeScrape: updateLag }) : await buildServer({
    config, logger, metrics, authenticator, tracker, health, beforeScrape: updateLag, rateLimitRedis: backends.redis ?? undefined,
    features: [
      { plugin: ingestRoutes, options: { ingest, batchMaxEvents: config.BATCH_MAX_EVENTS, batchMaxBytes: config.BATCH_MAX_BYTES } },
      { plugin: operationsRoutes, options: { store, registry, status, replay, annotate: featureHost.annotateEvents } },
      { plugin: catalogRoutes, options: { catalog } },
      { plugin: identityRoutes, options: { store, authenticator } },
      { plugin: realtimeRoutes, options: { hub, store, bufferMax: config.STREAM_BUFFER_MAX, bufferMaxBytes: config.STREAM_BUFFER_MAX_BYTES, maxPerPrincipal: config.STREAM_MAX_PER_PRINCIPAL, maxPerTenant: config.STREAM_MAX_PER_TENANT, heartbeatMs: config.STREAM_HEARTBEAT_MS } },
      ...featureHost.routes(),
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
    async startWorkers(names = config.CONSUMERS.split(',').map((c) => c.trim()).filter(Boolean)) {
      // The API role runs the live consumers (realtime fan-out); workers run the durable ones.
      if (config.ROLE === 'api') { await consumers.start(names, 'live'); return; }
      await featureHost.start();
      await consumers.start(names, config.ROLE === 'worker' ? 'durable' : undefined);
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(pruneTimer);
      await http?.close();
      await tracker.flush();
      await consumers.stop(config.SHUTDOWN_GRACE_MS);
      await hub.stop();
      await catalog.close();
      await featureHost.close();
      await backends.close();
    },
  };
}

