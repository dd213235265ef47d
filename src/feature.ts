/**
 * A feature module: one value that brings its own tables (migrations tracked under its own name),
 * its store port and adapter, its consumers, its routes and its privacy hooks. `main.ts` lists the
 * features; adding one touches no other feature. See docs/architecture.md ("Adding a feature").
 *
 * Only types here: features import this file, and it imports nothing that runs.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { Kysely, Migration } from 'kysely';
import type { Config } from './config.js';
import type { CatalogService } from './events/catalog/catalog.service.js';
import type { ConsumerDefinition } from './events/consumers/consumer.registry.js';
import type { EventAnnotations } from './events/events.schemas.js';
import type { IngestService } from './events/ingest/ingest.service.js';
import type { ReplayService } from './events/replay.service.js';
import type { Authenticator } from './identity/authenticator.js';
import type { Logger } from './platform/logger.js';
import type { Metrics } from './platform/metrics.js';
import type { Cache } from './ports/cache.port.js';
import type { Embedder } from './ports/embedder.port.js';
import type { Generator } from './ports/generator.port.js';
import type { RebuildSource, SearchIndex } from './ports/search-index.port.js';
import type { Store } from './ports/store.port.js';

export type SqlDialect = 'sqlite' | 'postgres';

/** A route plugin mounted under /v1. */
export interface FeatureRoutes {
  plugin: FastifyPluginAsync<any>;
  options: object;
}

/** Per-person hooks, so one call can erase or export a user across every feature. */
export interface PrivacyHooks {
  /** Deletes what the feature holds about the user; returns how many rows or items went. */
  eraseUser(tenantId: string, userId: string): Promise<number>;
  /** Everything the feature holds about the user, as JSON-ready values. */
  exportUser(tenantId: string, userId: string): Promise<Record<string, unknown>>;
}

/** What the composition root hands every feature: the backbone, the ports, shared services. */
export interface FeatureContext {
  config: Config;
  logger: Logger;
  metrics: Metrics;
  /** The backbone store (events, positions, exceptions, leases, tenants, keys, catalog). */
  store: Store;
  /** The store's database, for the feature's own SQL adapter (its tables live in the same database). */
  db: Kysely<any>;
  dialect: SqlDialect;
  cache: Cache;
  embedder: Embedder;
  /** The configured generator, wrapped in its resilience policy. */
  generator: Generator;
  /** The extractive generator: the answer when the configured one fails. */
  fallbackGenerator: Generator;
  searchIndex: SearchIndex;
  /**
   * Registers the search index's rebuild source (re-chunk and re-embed the stored documents):
   * the index is created before the features, the feature owning the documents supplies it.
   */
  setSearchRebuildSource(source: RebuildSource): void;
  ingest: IngestService;
  catalog: CatalogService;
  replay: ReplayService;
  authenticator: Authenticator;
  /** Applies the configured secret/PII rules to a value before it is stored. */
  sanitise: (value: unknown) => unknown;
  /**
   * The `api` of a feature listed earlier in FEATURES (undefined when it is absent or later):
   * how one feature uses another without reaching into its tables.
   */
  featureApi<T>(name: string): T | undefined;
}

/**
 * What a feature adds to events as the events API shows them (`GET /v1/events`, `/v1/events/{id}`),
 * by event id; events it knows nothing of are absent. Called once per page, with its event ids.
 */
export type EventAnnotator = (tenantId: string, eventIds: string[]) => Promise<Map<string, EventAnnotations>>;

/** What a feature's `setup` returns; `api` is what other code (CLI, tests) may call on it. */
export interface FeatureParts<Api = unknown> {
  consumers?: ConsumerDefinition[];
  routes?: FeatureRoutes[];
  privacy?: PrivacyHooks;
  /** Fields the feature adds to events in the events API (declared in EventAnnotationsSchema). */
  annotateEvents?: EventAnnotator;
  /** Runs when the process starts its workers (e.g. rebuilds owed by a configuration change). */
  start?(): Promise<void>;
  close?(): Promise<void>;
  api?: Api;
}

export interface FeatureDefinition<Api = unknown> {
  /** Lowercase name (`stats`, `identity`, `retrieval`); also names the feature's migration table. */
  name: string;
  /** The feature's own migrations, ordered by name within the feature only. */
  migrations?: (dialect: SqlDialect) => Record<string, Migration>;
  /**
   * Migration names this feature's tables had in the backbone's table in earlier releases; on an
   * upgrade they are moved to the feature's own table instead of being run again.
   */
  adopts?: string[];
  setup(context: FeatureContext): Promise<FeatureParts<Api>> | FeatureParts<Api>;
}

/** Declares a feature (an identity function that keeps the type). */
export function defineFeature<Api>(definition: FeatureDefinition<Api>): FeatureDefinition<Api> {
  return definition;
}
