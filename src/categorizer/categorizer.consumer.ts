/**
 * The `categorizer` consumer: gives every event an intent and a category and stores them beside
 * it (`event_intents`). A per-event handler whose calls are gathered per read (micro-batch.ts),
 * so a batch costs one embed call; it is not a `handleBatch` projection because the embedder and
 * the LLM may be remote, and a projection's store transaction (on SQLite the only connection)
 * would stay open across those calls and hold up ingest. Delivery is at least once; the rows are
 * a function of the event and the tenant's settings version, written idempotently, and a row
 * never replaces one of a newer version. A replay (on a change of rules or labels) recomputes
 * every event of the tenant up to the log's head, including those in flight.
 */
import { LRUCache } from 'lru-cache';
import type { CatalogService } from '../events/catalog/catalog.service.js';
import type { ConsumerDefinition } from '../events/consumers/consumer.registry.js';
import type { LogEntry } from '../ports/events.types.js';
import type { CategorizerStore, IntentRow } from './categorizer.store.js';
import type { Classifier } from './classifier.js';
import type { CategorizerEvent } from './decide.js';
import { MicroBatch } from './micro-batch.js';
import { effectiveSettings, type Settings } from './settings.js';

export const CATEGORIZER_CONSUMER = 'categorizer';

/** Events one flush classifies (and the handler calls the runner makes at once). */
const BATCH = 256;

export interface CategorizerConsumerDeps {
  classifier: Classifier;
  store: CategorizerStore;
  catalog: Pick<CatalogService, 'get'>;
  /** CATEGORIZER_THRESHOLD: for tenants that set none. */
  defaultThreshold: number;
}

interface TypeInfo { description: string | null; custom: boolean }

/** What the catalog says of the tenant's types, looked up once per type and kept 5 s (registered types may change). */
function typeInfos(catalog: Pick<CatalogService, 'get'>) {
  const cache = new LRUCache<string, TypeInfo>({ max: 10_000, ttl: 5_000 });
  return async (entries: readonly LogEntry[]): Promise<Map<string, TypeInfo>> => {
    const out = new Map<string, TypeInfo>();
    for (const e of entries) {
      const key = `${e.tenantId}\u0000${e.type}`;
      if (out.has(key)) continue;
      let info = cache.get(key);
      if (!info) {
        const listing = await catalog.get(e.tenantId, e.type);
        info = { description: listing?.description ?? null, custom: listing === undefined };
        cache.set(key, info);
      }
      out.set(key, info);
    }
    return out;
  };
}

export function categorizerConsumer(deps: CategorizerConsumerDeps): ConsumerDefinition {
  const infos = typeInfos(deps.catalog);
  const batch = new MicroBatch<LogEntry>(async (entries, signal) => {
    const tenants = [...new Set(entries.map((e) => e.tenantId))];
    const stored = await deps.store.settings(tenants);
    const settings = new Map<string, Settings>(tenants.map((t) => [t, effectiveSettings(stored.get(t), deps.defaultThreshold)]));
    const types = await infos(entries);
    const events: CategorizerEvent[] = entries.map((e) => {
      const info = types.get(`${e.tenantId}\u0000${e.type}`)!;
      return { id: e.id, tenantId: e.tenantId, type: e.type, userId: e.userId, time: e.time, category: e.category, data: e.data, typeDescription: info.description, custom: info.custom };
    });
    const results = await deps.classifier.classify(events, (t) => settings.get(t)!, signal);
    const rows: IntentRow[] = [];
    results.forEach((r, i) => {
      if (r instanceof Error) return;
      const e = events[i]!;
      rows.push({ tenantId: e.tenantId, eventId: e.id, userId: e.userId, time: e.time, ...r, labelsVersion: settings.get(e.tenantId)!.version });
    });
    await deps.store.save(rows);
    return results.map((r) => (r instanceof Error ? r : null));
  }, BATCH);
  return {
    name: CATEGORIZER_CONSUMER,
    description: 'Gives every event an intent and a category (sender, rules, zero-shot by embeddings or an LLM), stored beside it',
    types: ['*'],
    delivery: 'durable',
    batchSize: BATCH,
    concurrency: BATCH,
    handle: (event, context) => batch.add(event, context.signal),
  };
}
