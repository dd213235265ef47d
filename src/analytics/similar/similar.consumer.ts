/**
 * The `analytics-similar` projection: each person's counts of event types and categories and
 * their newest query and message texts; after each
 * batch the changed persons' vectors (similar.vector.ts) are stored with their rows and upserted
 * into the tenant's `_people` collection of the search index. The rows commit with the position;
 * the index write comes before the commit, so a failed commit is redone by the retry with the
 * same vector (it is a function of the rows). Ordered by user: one person's events in log order.
 * Intents are not stored: the categorizer assigns them in its own consumer, later or sooner than
 * this one runs, so a stored intent part would differ between a live pass and a replay; the
 * route adds them when it ranks (similar.rank.ts).
 */
import type { ConsumerDefinition } from '../../events/consumers/consumer.registry.js';
import { AppError, isAppError } from '../../platform/errors.js';
import type { LogEntry } from '../../ports/events.types.js';
import type { Embedder } from '../../ports/embedder.port.js';
import type { RebuildSource, SearchIndex } from '../../ports/search-index.port.js';
import type { PersonProfileRow, PersonText, SimilarStore } from './similar.store.js';
import { emptyProfile, personVector, type Kind, type Profile } from './similar.vector.js';

export const SIMILAR_CONSUMER = 'analytics-similar';
/**
 * The person vectors' collection in each tenant's partition of the search index. Collection
 * names of the API match ^[a-z0-9]…, so no user collection can be called this, and the search and
 * collection routes only reach collections of the retrieval store, where it is never listed.
 */
export const PEOPLE_COLLECTION = '_people';
/** Texts kept per person, and characters kept of each. */
export const TEXTS_KEPT = 20;
export const TEXT_MAX_CHARS = 500;
/** Distinct keys counted per kind and person; later new keys count in the kind's total only. */
export const KEYS_PER_KIND_MAX = 200;

const NO_CHUNKS: RebuildSource = async function* () {};

/** Where a type's text is in its data: queries and messages. */
const TEXT_FIELDS: Readonly<Record<string, string>> = { 'query.executed': 'query', 'message.sent': 'text', 'chat.message_sent': 'text' };

export interface SimilarConsumerDeps {
  store: SimilarStore;
  index: SearchIndex;
  embedder: Embedder;
}

function textOf(e: LogEntry): string | null {
  const field = TEXT_FIELDS[e.type];
  const value = field && typeof e.data === 'object' && e.data !== null ? (e.data as Record<string, unknown>)[field] : undefined;
  return typeof value === 'string' && value.trim() !== '' ? value.slice(0, TEXT_MAX_CHARS) : null;
}

function add(profile: Profile, kind: Kind, key: string): void {
  const counts = profile[kind];
  if (counts[key] !== undefined) counts[key] += 1;
  else if (Object.keys(counts).length < KEYS_PER_KIND_MAX) counts[key] = 1;
  profile.totals[kind] += 1;
}

export function similarConsumer(deps: SimilarConsumerDeps): ConsumerDefinition {
  const { store, index, embedder } = deps;
  const ensuring = new Map<string, Promise<void>>();
  // Created with an empty source, not ensureCollection: an embedded index fills a new collection
  // from its configured source (the retrieval documents, read from the store this batch's
  // transaction holds). One creation per tenant at a time in this process.
  const ensure = (tenantId: string): Promise<void> => {
    let pending = ensuring.get(tenantId);
    if (!pending) {
      pending = (async () => {
        const ref = { tenantId, collection: PEOPLE_COLLECTION };
        const stats = await index.stats(ref);
        if (stats === null) await index.rebuild({ spec: { ...ref, dimension: embedder.dimension, language: 'auto' }, source: NO_CHUNKS });
        else if (stats.dimension !== embedder.dimension) {
          throw new AppError('CONFLICT', { detail: `${PEOPLE_COLLECTION} holds vectors of dimension ${stats.dimension}, the embedder makes ${embedder.dimension}: replay ${SIMILAR_CONSUMER}` });
        }
      })();
      pending.catch(() => ensuring.delete(tenantId));
      ensuring.set(tenantId, pending);
    }
    return pending;
  };
  return {
    name: SIMILAR_CONSUMER,
    description: 'Keeps each person\'s behaviour vector (types, categories, intents, texts) in the search index for similar people',
    types: ['*'],
    delivery: 'durable',
    orderBy: 'userId',
    batchSize: 512,
    async handleBatch(entries, tx) {
      const byTenant = new Map<string, LogEntry[]>();
      for (const e of entries) {
        if (e.userId === null) continue;
        const list = byTenant.get(e.tenantId);
        if (list) list.push(e);
        else byTenant.set(e.tenantId, [e]);
      }
      for (const [tenantId, events] of byTenant) {
        const users = [...new Set(events.map((e) => e.userId!))];
        const rows = new Map((await store.load(tx, tenantId, users)).map((r) => [r.userId, r]));
        const texts: PersonText[] = [];
        for (const e of events) {
          const row: PersonProfileRow = rows.get(e.userId!)
            ?? { tenantId, userId: e.userId!, profile: emptyProfile(), textVector: null, vector: new Float32Array(0), events: 0, lastEventId: e.id };
          add(row.profile, 'types', e.type);
          add(row.profile, 'categories', e.category);
          row.events += 1;
          row.lastEventId = e.id;
          rows.set(row.userId, row);
          const text = textOf(e);
          if (text !== null) texts.push({ userId: row.userId, seq: e.seq, text });
        }
        if (texts.length > 0) {
          await store.addTexts(tx, tenantId, texts, TEXTS_KEPT);
          const withTexts = [...new Set(texts.map((t) => t.userId))];
          const kept = await store.texts(tx, tenantId, withTexts);
          const vectors = await embedder.embed({ texts: withTexts.map((u) => (kept.get(u) ?? []).join('\n')), purpose: 'document' });
          withTexts.forEach((u, i) => { rows.get(u)!.textVector = vectors[i]!; });
        }
        for (const row of rows.values()) {
          row.vector = personVector(row.profile, row.textVector, embedder.dimension);
        }
        await store.save(tx, [...rows.values()]);
        const chunks = [...rows.values()].map((r) => ({ id: r.userId, documentId: r.userId, text: '', vector: r.vector, metadata: { userId: r.userId }, sourceEventId: r.lastEventId }));
        await ensure(tenantId);
        try {
          await index.upsert({ tenantId, collection: PEOPLE_COLLECTION, chunks });
        } catch (error) {
          // Another process's rebuild may have dropped the collection since this one ensured it.
          if (!isAppError(error) || error.code !== 'NOT_FOUND') throw error;
          ensuring.delete(tenantId);
          await ensure(tenantId);
          await index.upsert({ tenantId, collection: PEOPLE_COLLECTION, chunks });
        }
      }
    },
    async rebuildTenant(tenantId, tx) {
      await store.clearTenant(tx, tenantId);
      // Not transactional: the replay that follows upserts every person again.
      await index.dropCollection({ tenantId, collection: PEOPLE_COLLECTION });
      ensuring.delete(tenantId);
    },
  };
}
