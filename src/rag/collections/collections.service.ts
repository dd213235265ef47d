/** Collection lifecycle: create (from a template or custom), change, delete, stats, rebuild by replay. */
import { LRUCache } from 'lru-cache';
import { AppError } from '../../platform/errors.js';
import type { Cache } from '../../ports/cache.port.js';
import type { Embedder } from '../../ports/embedder.port.js';
import type { SearchIndex } from '../../ports/search-index.port.js';
import type { ReplayService } from '../../events/replay.service.js';
import { searchNamespace } from '../documents/document-indexer.js';
import { OWNER_FIELD, scopeOf } from '../member-view.js';
import type { CollectionScope, CollectionSettings, CreateCollection, PatchCollection } from './collection.schemas.js';
import type { Collection, RagStore } from '../store/rag.store.js';
import { TEMPLATE_BY_NAME, TEMPLATES } from './templates.js';

export const INDEXER = 'indexer';
const DOCUMENT_TYPES = ['document.upserted', 'document.deleted'];

export interface CollectionsServiceDeps {
  repo: RagStore;
  index: SearchIndex;
  embedder: Embedder;
  cache: Cache;
  /** Set once the replay service exists (it needs the consumer registry). */
  replay?: ReplayService;
}

const DEFAULT_CHUNKING = { size: 1200, overlap: 150, markdown: true };

/** Settings from a create or patch body over a base (a template or the current settings): given fields win. */
function settingsFrom(input: CreateCollection | PatchCollection, base: CollectionSettings | undefined): CollectionSettings {
  const textFields = input.textFields ?? base?.textFields;
  if (!textFields) throw new AppError('VALIDATION_FAILED', { detail: 'a collection needs textFields (or a template)', errors: [{ pointer: '/textFields', detail: 'required without a template' }] });
  const chunking = { ...DEFAULT_CHUNKING, ...base?.chunking, ...input.chunking };
  if (chunking.overlap >= chunking.size / 2) {
    throw new AppError('VALIDATION_FAILED', { detail: 'chunking.overlap must be less than half of chunking.size', errors: [{ pointer: '/chunking/overlap', detail: 'too large for size' }] });
  }
  const titleField = input.titleField ?? base?.titleField;
  const scope = input.scope ?? base?.scope ?? 'shared';
  return {
    textFields, ...(titleField ? { titleField } : {}), chunking,
    metadata: withOwnerField(input.metadata ?? base?.metadata ?? {}, scope), language: input.language ?? base?.language ?? 'auto',
    sources: input.sources ?? base?.sources ?? [], scope, memberWrites: input.memberWrites ?? base?.memberWrites ?? false,
  };
}

/** A per-user collection always has the owner as filterable string metadata (the member view filters on it). */
function withOwnerField(metadata: CollectionSettings['metadata'], scope: CollectionScope): CollectionSettings['metadata'] {
  if (scope !== 'user') return metadata;
  const declared = metadata[OWNER_FIELD];
  if (declared !== undefined && declared !== 'string') {
    throw new AppError('VALIDATION_FAILED', { detail: `in a per-user collection ${OWNER_FIELD} is the owner and a string`, errors: [{ pointer: `/metadata/${OWNER_FIELD}`, detail: 'must be string' }] });
  }
  return { ...metadata, [OWNER_FIELD]: 'string' };
}

/** Settings whose change invalidates the index (chunks or vectors differ). */
const indexShape = (c: Collection) => JSON.stringify([c.settings.textFields, c.settings.titleField, c.settings.metadata, c.settings.chunking, c.settings.language, scopeOf(c), c.embedderModel]);

/** Allowance for clocks of different processes (receipt times come from the API process). */
const CLOCK_SKEW_MS = 5_000;

export class CollectionsService {
  readonly #byTenant = new LRUCache<string, { list: Collection[]; loadedAt: number }>({ max: 10_000, ttl: 5_000 });

  constructor(private readonly deps: CollectionsServiceDeps) {}

  /** The tenant's collections, possibly a few seconds old (another process may have changed them). */
  async list(tenantId: string): Promise<Collection[]> {
    return (this.#byTenant.get(tenantId) ?? (await this.#load(tenantId))).list;
  }

  /**
   * The tenant's collections as they were at `receivedAt` or later: the indexer passes an event's
   * receipt time, so a collection created (in any process) before the event was received is
   * never missing from a cached list and the event never skipped for it.
   */
  async listAsOf(tenantId: string, receivedAt: number): Promise<Collection[]> {
    const cached = this.#byTenant.get(tenantId);
    if (cached && cached.loadedAt > receivedAt + CLOCK_SKEW_MS) return cached.list;
    return (await this.#load(tenantId)).list;
  }

  async #load(tenantId: string): Promise<{ list: Collection[]; loadedAt: number }> {
    const loadedAt = Date.now();
    const entry = { list: await this.deps.repo.list(tenantId), loadedAt };
    this.#byTenant.set(tenantId, entry);
    return entry;
  }

  async get(tenantId: string, name: string): Promise<Collection> {
    const found = (await this.list(tenantId)).find((c) => c.name === name) ?? (await this.deps.repo.get(tenantId, name));
    if (!found) throw new AppError('NOT_FOUND', { detail: `no collection ${name}` });
    return found;
  }

  async create(tenantId: string, input: CreateCollection): Promise<Collection> {
    const template = input.template === undefined ? undefined : TEMPLATE_BY_NAME.get(input.template);
    if (input.template !== undefined && !template) {
      throw new AppError('VALIDATION_FAILED', { detail: `no template ${input.template}; templates: ${TEMPLATES.map((t) => t.name).join(', ')}`, errors: [{ pointer: '/template', detail: 'unknown template' }] });
    }
    const now = Date.now();
    const collection: Collection = {
      tenantId, name: input.name, template: template?.name ?? null, settings: settingsFrom(input, template?.settings),
      embedderModel: this.deps.embedder.model, dimension: this.deps.embedder.dimension, createdAt: now, updatedAt: now,
    };
    if (!(await this.deps.repo.insert(collection))) throw new AppError('CONFLICT', { detail: `collection ${input.name} exists` });
    await this.deps.index.ensureCollection({ tenantId, collection: collection.name, dimension: collection.dimension, language: collection.settings.language });
    this.#byTenant.delete(tenantId);
    return collection;
  }

  /** Creates a template collection on first use by an event; returns the existing one otherwise. */
  async ensureFromTemplate(tenantId: string, templateName: string): Promise<Collection> {
    try {
      return await this.create(tenantId, { name: templateName, template: templateName });
    } catch (error) {
      if (error instanceof AppError && error.code === 'CONFLICT') return this.get(tenantId, templateName);
      throw error;
    }
  }

  /** Changes settings; if the index shape changes, the collection is rebuilt from the log. */
  async update(tenantId: string, name: string, patch: PatchCollection): Promise<{ collection: Collection; reindexing: number | null }> {
    const current = await this.get(tenantId, name);
    const next: Collection = { ...current, settings: settingsFrom(patch, { ...current.settings, scope: scopeOf(current) }), embedderModel: this.deps.embedder.model, dimension: this.deps.embedder.dimension, updatedAt: Date.now() };
    await this.deps.repo.update(next);
    this.#byTenant.delete(tenantId);
    const reindexing = indexShape(next) === indexShape(current) ? null : await this.rebuild(next);
    return { collection: next, reindexing };
  }

  /** Current embedder differs from the one the collection was indexed with. */
  isStale(collection: Collection): boolean {
    return collection.embedderModel !== this.deps.embedder.model || collection.dimension !== this.deps.embedder.dimension;
  }

  /**
   * Rebuilds a collection by replaying the events that feed it: forget its documents, drop its
   * index partition, then re-deliver its source events and document writes to the indexer.
   */
  async rebuild(collection: Collection): Promise<number> {
    if (!this.deps.replay) throw new AppError('INTERNAL', { detail: 'replay is not wired' });
    const ref = { tenantId: collection.tenantId, collection: collection.name };
    await this.deps.repo.clearDocuments(ref.tenantId, ref.collection);
    await this.deps.index.dropCollection(ref);
    await this.deps.index.ensureCollection({ ...ref, dimension: collection.dimension, language: collection.settings.language });
    await this.deps.cache.bump(searchNamespace(ref.tenantId, ref.collection));
    const types = [...new Set([...collection.settings.sources.map((s) => s.type), ...DOCUMENT_TYPES])];
    return (await this.deps.replay.replay(ref.tenantId, INDEXER, { types })).count;
  }

  async remove(tenantId: string, name: string): Promise<void> {
    await this.get(tenantId, name);
    await this.deps.repo.remove(tenantId, name);
    await this.deps.index.dropCollection({ tenantId, collection: name });
    await this.deps.cache.bump(searchNamespace(tenantId, name));
    this.#byTenant.delete(tenantId);
  }

  /** Event types the indexer must receive: template sources, document writes and every custom rule. */
  async sourceTypes(): Promise<string[]> {
    const types = new Set<string>(DOCUMENT_TYPES);
    for (const t of TEMPLATES) for (const s of t.settings.sources) types.add(s.type);
    for (const type of await this.deps.repo.sourceTypes()) types.add(type);
    return [...types];
  }
}
