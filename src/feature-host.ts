/**
 * Runs the features `main.ts` lists: their migrations (each under its own name), their setup
 * with the shared FeatureContext, and what setup returns (consumers into the registry, routes,
 * privacy hooks, start and close).
 */
import type { ConsumerRegistry } from './events/consumers/consumer.registry.js';
import type { EventAnnotations } from './events/events.schemas.js';
import type { EventAnnotator, FeatureContext, FeatureDefinition, FeatureParts, FeatureRoutes, SqlDialect } from './feature.js';
import type { PrivacyRegistry } from './identity/privacy.registry.js';
import type { FeatureMigrations } from './ports/store.port.js';

/** What the store migrates for these features, in their order. */
export function featureMigrations(features: readonly FeatureDefinition<any>[], dialect: SqlDialect): FeatureMigrations[] {
  return features.map((feature) => ({
    name: feature.name,
    migrations: feature.migrations?.(dialect) ?? {},
    ...(feature.adopts ? { adopts: feature.adopts } : {}),
  }));
}

interface SetUp {
  name: string;
  parts: FeatureParts;
}

/** The set-up features of one process, in list order. */
export class FeatureHost {
  readonly #features: SetUp[] = [];

  /** Sets up each feature in order, registering its consumers and privacy hooks. */
  static async setup(
    features: readonly FeatureDefinition<any>[], shared: Omit<FeatureContext, 'featureApi'>,
    into: { registry: ConsumerRegistry; privacy: PrivacyRegistry },
  ): Promise<FeatureHost> {
    const host = new FeatureHost();
    const context: FeatureContext = { ...shared, featureApi: <T>(name: string) => host.#features.find((f) => f.name === name)?.parts.api as T | undefined };
    try {
      for (const feature of features) {
        const parts = await feature.setup(context);
        host.#features.push({ name: feature.name, parts });
        for (const consumer of parts.consumers ?? []) into.registry.register(consumer);
        if (parts.privacy) into.privacy.register(feature.name, parts.privacy);
      }
    } catch (error) {
      await host.close();
      throw error;
    }
    return host;
  }

  /** Every feature's route plugins, in list order. */
  routes(): FeatureRoutes[] {
    return this.#features.flatMap((f) => f.parts.routes ?? []);
  }

  /** Every feature's annotations of events, merged per event (features in list order). */
  readonly annotateEvents: EventAnnotator = async (tenantId, eventIds) => {
    const merged = new Map<string, EventAnnotations>();
    if (eventIds.length === 0) return merged;
    for (const { parts } of this.#features) {
      if (!parts.annotateEvents) continue;
      for (const [id, fields] of await parts.annotateEvents(tenantId, eventIds)) merged.set(id, { ...merged.get(id), ...fields });
    }
    return merged;
  };

  /** Feature name → the api its setup returned (for the CLI and tests). */
  apis(): Record<string, unknown> {
    return Object.fromEntries(this.#features.filter((f) => f.parts.api !== undefined).map((f) => [f.name, f.parts.api]));
  }

  /** Runs each feature's `start` in list order (when the process starts its workers). */
  async start(): Promise<void> {
    for (const { parts } of this.#features) await parts.start?.();
  }

  /** Closes the features in reverse order; one failing close does not keep the others open. */
  async close(): Promise<void> {
    const failures: unknown[] = [];
    for (const { parts } of [...this.#features].reverse()) {
      try {
        await parts.close?.();
      } catch (error) {
        failures.push(error);
      }
    }
    this.#features.length = 0;
    if (failures.length > 0) throw new AggregateError(failures, 'closing features failed');
  }
}
