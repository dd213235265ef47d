/**
 * Search across a tenant's collections: embed the query once per embedding space, search each
 * collection's partition, merge by score. Results are cached per query until a collection changes.
 */
import { createHash } from 'node:crypto';
import { AppError } from '../../platform/errors.js';
import type { Cache } from '../../ports/cache.port.js';
import type { Embedder } from '../../ports/embedder.port.js';
import type { Metadata, SearchIndex, SearchMode } from '../../ports/search-index.port.js';
import type { Filter } from '../../ports/search-filter.js';
import type { Collection } from '../store/rag.store.js';
import type { CollectionsService } from '../collections/collections.service.js';
import { searchNamespace } from '../documents/document-indexer.js';
import { checkFilterSize } from './filter.limits.js';
import { collectionView, TENANT_VIEWER, viewFilter, type Viewer } from '../member-view.js';
import { highlight } from './highlight.js';

export interface SearchRequest {
  tenantId: string;
  /** Who searches; hits are limited to their view (member-view.ts). Absent: the tenant's whole view (CLI, eval). */
  viewer?: Viewer;
  query: string;
  collections: string[];
  filter?: Filter;
  limit: number;
  mode: SearchMode;
}

export interface SearchResultItem {
  chunkId: string;
  documentId: string;
  collection: string;
  score: number;
  text: string;
  highlight: string;
  metadata: Metadata;
  sourceEventId: string;
}

export interface SearchResult {
  items: SearchResultItem[];
  mode: SearchMode;
  cached: boolean;
}

const CACHE_TTL_MS = 60_000;

/** Every field a filter names (for a clear error when a field is not filterable). */
export function filterFields(filter: Filter): string[] {
  const fields = new Set<string>();
  const stack: Filter[] = [filter];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if ('and' in node) stack.push(...node.and);
    else if ('or' in node) stack.push(...node.or);
    else if ('not' in node) stack.push(node.not);
    else if ('exists' in node) fields.add(node.exists);
    else for (const field of Object.keys(Object.values(node)[0] as object)) fields.add(field);
  }
  return [...fields];
}

export class SearchService {
  constructor(private readonly deps: { collections: CollectionsService; index: SearchIndex; embedder: Embedder; cache: Cache }) {}

  async search(request: SearchRequest): Promise<SearchResult> {
    checkFilterSize(request.filter);
    const collections = await Promise.all([...new Set(request.collections)].map((name) => this.deps.collections.get(request.tenantId, name)));
    this.#checkFilter(collections, request.filter);
    const viewer = request.viewer ?? TENANT_VIEWER;
    // The view's condition is part of each collection's query: nothing in request.filter can widen it.
    const scoped = collections.flatMap((collection) => {
      const view = collectionView(viewer, collection);
      const filter = viewFilter(view, request.filter);
      return filter === null ? [] : [{ collection, filter, owner: view.kind === 'owned' ? view.userId : undefined }];
    });
    const key = await this.#cacheKey(request, scoped);
    const cached = await this.deps.cache.get<SearchResultItem[]>(key);
    if (cached) return { items: cached, mode: request.mode, cached: true };
    const vector = request.mode === 'lexical' || scoped.length === 0 ? undefined : (await this.deps.embedder.embed({ texts: [request.query], purpose: 'query' }))[0];
    const perCollection = await Promise.all(scoped.map(async ({ collection, filter, owner }) => {
      const hits = await this.deps.index.search({
        tenantId: request.tenantId, collection: collection.name, query: request.query, vector, mode: request.mode, filter, limit: request.limit,
        ...(owner === undefined ? {} : { owner }),
      });
      return hits.map((hit) => ({ ...hit, collection: collection.name, highlight: highlight(hit.text, request.query, collection.settings.language) }));
    }));
    const items = perCollection.flat().sort((a, b) => b.score - a.score).slice(0, request.limit);
    await this.deps.cache.set(key, items, CACHE_TTL_MS);
    return { items, mode: request.mode, cached: false };
  }

  #checkFilter(collections: Collection[], filter: Filter | undefined): void {
    if (!filter) return;
    for (const field of filterFields(filter)) {
      const missing = collections.filter((c) => !(field in c.settings.metadata));
      if (missing.length > 0) {
        throw new AppError('VALIDATION_FAILED', {
          detail: `filter field "${field}" is not filterable metadata of ${missing.map((c) => c.name).join(', ')}`,
          errors: [{ pointer: '/filter', detail: `unknown field ${field}` }],
        });
      }
    }
    for (const c of collections) {
      if (this.deps.collections.isStale(c)) {
        throw new AppError('CONFLICT', { detail: `collection ${c.name} was indexed with ${c.embedderModel}; it is being rebuilt for ${this.deps.embedder.model}` });
      }
    }
  }

  /**
   * The key embeds each collection's generation, so any write to a collection makes old entries
   * unreachable, and each collection's filter as scoped by the viewer's view, so viewers with
   * different views never share an entry.
   */
  async #cacheKey(request: SearchRequest, scoped: Array<{ collection: Collection; filter: Filter | undefined }>): Promise<string> {
    const generations = await Promise.all(scoped.map(({ collection }) => this.deps.cache.generation(searchNamespace(request.tenantId, collection.name))));
    const digest = createHash('sha256')
      .update(JSON.stringify([request.query, scoped.map((s) => [s.collection.name, s.filter ?? null]), generations, request.limit, request.mode]))
      .digest('base64url');
    return `search:${request.tenantId}:${digest}`;
  }
}
