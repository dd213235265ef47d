/**
 * A document write through the API: a `document.upserted` / `document.deleted` event, and with
 * `wait` the wait until the indexer has applied it. Shared by the JSON and the file routes.
 */
import type { Principal } from '../../identity/principal.js';
import type { Role } from '../../ports/store.port.js';
import type { IngestService } from '../../events/ingest/ingest.service.js';
import type { CollectionsService } from '../collections/collections.service.js';
import type { RagStore } from '../store/rag.store.js';
import type { UploadSettings } from './files.routes.js';

export interface DocumentsRoutesOptions {
  collections: CollectionsService;
  repo: RagStore;
  ingest: IngestService;
  /** How long `?wait=true` waits for the indexer. */
  waitMs?: number;
  /** Upload limits (defaults: files.routes.ts DEFAULT_UPLOADS). */
  uploads?: UploadSettings;
}

export const WRITE_DOCUMENT_ROLES: readonly Role[] = ['admin', 'ingest'];

/** Resolves when the document reflects `eventId` (or a later write), or after `timeoutMs`. */
export async function waitForDocument(repo: RagStore, tenantId: string, collection: string, documentId: string, eventId: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 5; Date.now() < deadline; delay = Math.min(delay * 2, 100)) {
    const doc = await repo.getDocument(tenantId, collection, documentId);
    if (doc && doc.sourceEventId >= eventId) return true;
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
  return false;
}

export async function writeDocument(
  options: DocumentsRoutesOptions, principal: Principal,
  write: { collection: string; documentId: string; fields: Record<string, unknown> | null; wait: boolean },
) {
  const tenantId = principal.tenant.id;
  await options.collections.get(tenantId, write.collection);
  const { id, duplicate } = await options.ingest.ingestOne(principal, {
    type: write.fields === null ? 'document.deleted' : 'document.upserted',
    data: { collection: write.collection, documentId: write.documentId, ...(write.fields === null ? {} : { fields: write.fields }) },
  });
  const indexed = write.wait ? await waitForDocument(options.repo, tenantId, write.collection, write.documentId, id, options.waitMs ?? 10_000) : false;
  return { documentId: write.documentId, eventId: id, duplicate, indexed };
}
