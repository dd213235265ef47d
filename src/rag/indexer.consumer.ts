/**
 * The `indexer` consumer: turns domain events and API document writes into collection documents.
 * Rules come from each collection's `sources`; template collections (articles, customers) are
 * created from their template the first time one of their events arrives. In a per-user
 * collection (see member-view.ts) each document's owner is the user of the event that wrote it.
 * Events sent with a member key write into a shared collection only through its source rules and
 * only where it allows member writes; there a member changes only the documents they wrote.
 * A member's `document.*` events never change a shared collection.
 */
import type { ConsumerDefinition } from '../events/consumers/consumer.registry.js';
import type { Logger } from '../platform/logger.js';
import type { Metrics } from '../platform/metrics.js';
import type { EventRecord } from '../ports/events.types.js';
import type { Collection } from './store/rag.store.js';
import { INDEXER, type CollectionsService } from './collections/collections.service.js';
import { DOCUMENT_ID_MAX_LENGTH, type SourceRule } from './collections/collection.schemas.js';
import { TEMPLATES } from './collections/templates.js';
import { OWNER_FIELD, ownerOf, scopeOf, senderMayWrite, senderMayWriteDocuments } from './member-view.js';
import { readPath } from './documents/document-text.js';
import type { DocumentIndexer } from './documents/document-indexer.js';

interface DocumentEventData { collection: string; documentId: string; fields?: Record<string, unknown> }

export interface IndexerDeps {
  collections: CollectionsService;
  indexer: DocumentIndexer;
  /** Counts skipped events (optional for in-process tools). */
  metrics?: Pick<Metrics, 'indexerSkipped'>;
  logger: Logger;
}

/** Collections (existing or to be created from a template) that an event type feeds, with the rule. */
async function targetsOf(deps: IndexerDeps, event: EventRecord): Promise<Array<{ collection: Collection; rule: SourceRule }>> {
  const existing = await deps.collections.listAsOf(event.tenantId, event.receivedAt);
  const targets = existing.flatMap((collection) => collection.settings.sources.filter((s) => s.type === event.type).map((rule) => ({ collection, rule })));
  for (const template of TEMPLATES) {
    if (!template.autoCreate || existing.some((c) => c.name === template.name)) continue;
    // A member's event creates no shared collection it could not write into.
    if (!senderMayWrite(event.senderRole, { settings: template.settings, template: template.name })) continue;
    const rule = template.settings.sources.find((s) => s.type === event.type);
    if (rule) targets.push({ collection: await deps.collections.ensureFromTemplate(event.tenantId, template.name), rule });
  }
  return targets;
}

function documentIdOf(event: EventRecord, rule: SourceRule): string | null {
  if (rule.idField === '$eventId') return event.id;
  const value = readPath((event.data ?? {}) as Record<string, unknown>, rule.idField);
  const id = typeof value === 'string' || typeof value === 'number' ? String(value) : '';
  // The same bounds as the documents API's path parameter: every indexed document can be read back.
  return id.length > 0 && id.length <= DOCUMENT_ID_MAX_LENGTH ? id : null;
}

/** Whether the event's sender may write into the collection; logs the skip when not. */
function mayWrite(deps: IndexerDeps, logger: Logger, event: EventRecord, collection: Collection): boolean {
  if (senderMayWrite(event.senderRole, collection)) return true;
  skipped(deps, logger, 'member_write', { collection: collection.name, eventId: event.id, type: event.type }, 'event from a member for a shared collection without memberWrites; skipped');
  return false;
}

function skipped(deps: IndexerDeps, logger: Logger, reason: string, context: Record<string, unknown>, message: string): void {
  deps.metrics?.indexerSkipped.inc({ reason });
  logger.info(context, message);
}

async function applyDocumentEvent(deps: IndexerDeps, event: EventRecord): Promise<void> {
  const data = event.data as DocumentEventData;
  const collection = (await deps.collections.listAsOf(event.tenantId, event.receivedAt)).find((c) => c.name === data.collection);
  if (!collection) {
    deps.logger.info({ collection: data.collection }, 'document event for a collection that no longer exists');
    return;
  }
  // memberWrites admits a collection's source rules only: a member's document event names any
  // document id and fields, so it never changes a shared collection.
  if (!senderMayWriteDocuments(event.senderRole, collection)) {
    skipped(deps, deps.logger, 'member_write', { collection: collection.name, eventId: event.id, type: event.type }, 'document event from a member for a shared collection; skipped');
    return;
  }
  // A document event about a user writes only that user's documents.
  if (event.userId !== null && scopeOf(collection) === 'shared') {
    deps.logger.warn({ collection: collection.name, eventId: event.id }, 'document event about a user for a shared collection; skipped');
    return;
  }
  const fields = event.type === 'document.deleted' ? null : (data.fields ?? {});
  const owner = event.userId === null ? { userId: ownerOf(fields), guard: false } : { userId: event.userId, guard: true };
  await apply(deps, collection, data.documentId, fields, event, owner);
}

/** Who a write is made for: the owner in a per-user collection, the writer (a member) in a shared one. */
interface WriteFor { userId: string | null; guard: boolean; member?: boolean }

/**
 * Applies a write; in a per-user collection the owner field is set to `owner.userId` (never what
 * the data says), and a guarded write leaves another user's document alone. In a shared
 * collection a member's write is recorded as theirs and leaves alone what anyone else wrote.
 */
async function apply(deps: IndexerDeps, collection: Collection, documentId: string, fields: Record<string, unknown> | null, event: EventRecord, owner: WriteFor): Promise<void> {
  const eventId = event.id;
  if (typeof documentId !== 'string' || documentId.length === 0 || documentId.length > DOCUMENT_ID_MAX_LENGTH) {
    deps.logger.warn({ collection: collection.name, eventId }, `document id missing or longer than ${DOCUMENT_ID_MAX_LENGTH} characters; skipped`);
    return;
  }
  const perUser = scopeOf(collection) === 'user';
  const memberShared = !perUser && event.senderRole === 'member';
  if (memberShared && owner.userId === null) {
    skipped(deps, deps.logger, 'member_write', { collection: collection.name, eventId }, 'event from a member without a user id for a shared collection; skipped');
    return;
  }
  const owned = fields === null || !perUser ? fields : { ...fields, [OWNER_FIELD]: owner.userId };
  const outcome = await deps.indexer.apply({
    collection, documentId, fields: owned, eventId,
    ...(perUser && owner.guard ? { owner: owner.userId } : {}),
    ...(memberShared ? { writer: owner.userId! } : {}),
  });
  if (outcome !== 'refused') return;
  const context = { collection: collection.name, documentId, eventId };
  if (memberShared) skipped(deps, deps.logger, 'other_writer', context, 'member\'s write to a shared document someone else wrote; skipped');
  else skipped(deps, deps.logger, 'other_owner', context, 'write to another user\'s document; skipped');
}

/**
 * `initialTypes` are the patterns at start-up; `subscription` reads the current ones before each
 * batch (one index scan of the collections' source types), so a collection created at runtime
 * is fed in every process without a restart.
 */
export function indexerConsumer(deps: IndexerDeps, initialTypes: string[]): ConsumerDefinition {
  return {
    name: INDEXER,
    description: 'Keeps search collections in step with domain events and document writes',
    types: initialTypes,
    subscription: () => deps.collections.sourceTypes(),
    delivery: 'durable',
    concurrency: 4,
    // A tenant's events are applied in log order: events of different types and subjects write
    // the same document (review.posted and document.upserted of one id), and which one stands
    // (who wrote it, the newest event) depends on their order, in a rebuild too. Tenants spread
    // over the partitions and run at once.
    orderBy: 'tenantId',
    // Writes the search index (an outside effect): one event at a time, idempotent by event id
    // (a document keeps the id of the last event applied to it).
    async handle(event, context) {
      if (event.type === 'document.upserted' || event.type === 'document.deleted') return applyDocumentEvent(deps, event);
      for (const { collection, rule } of await targetsOf(deps, event)) {
        if (!mayWrite(deps, context.logger, event, collection)) continue;
        const documentId = documentIdOf(event, rule);
        if (documentId === null) {
          context.logger.warn({ collection: collection.name, idField: rule.idField }, `event has no document id (or one over ${DOCUMENT_ID_MAX_LENGTH} characters); skipped`);
          continue;
        }
        const data = (event.data ?? {}) as Record<string, unknown>;
        const fields = rule.includeEnvelope ? { ...data, userId: event.userId, type: event.type, time: new Date(event.time).toISOString() } : data;
        await apply(deps, collection, documentId, rule.op === 'delete' ? null : fields, event, { userId: event.userId, guard: true });
      }
    },
  };
}
