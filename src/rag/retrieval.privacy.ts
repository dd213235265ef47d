/**
 * Erase and export one person across the retrieval feature: the documents they own in per-user
 * collections and the documents they wrote as a member in shared ones. Erasing also removes the
 * documents from the search index. (Their events stay in the log: a replay of the indexer would
 * write them again, so erasing a person erases their events too, through the backbone.)
 */
import type { PrivacyHooks } from '../feature.js';
import { AppError } from '../platform/errors.js';
import type { Cache } from '../ports/cache.port.js';
import type { SearchIndex } from '../ports/search-index.port.js';
import { searchNamespace } from './documents/document-indexer.js';
import type { CollectionDocument, RagStore } from './store/rag.store.js';

export interface RetrievalPrivacyDeps {
  repo: RagStore;
  index: SearchIndex;
  cache: Cache;
}


function byCollection(documents: CollectionDocument[]): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const { collection, document } of documents) groups.set(collection, [...(groups.get(collection) ?? []), document.id]);
  return groups;
}

/** A collection whose index partition is gone holds nothing to remove there. */
function ignoreMissingIndex(error: unknown): number {
  if (error instanceof AppError && error.code === 'NOT_FOUND') return 0;
  throw error;
}

export function retrievalPrivacy(deps: RetrievalPrivacyDeps): PrivacyHooks {
  return {
    async eraseUser(tenantId, userId) {
      let erased = 0;
      for (const [collection, ids] of byCollection(await deps.repo.userDocuments(tenantId, userId))) {
        // Index first: a failure leaves the stored rows, so a retry finds the documents again.
        await deps.index.deleteDocuments({ tenantId, collection, documentIds: ids }).catch(ignoreMissingIndex);
        erased += await deps.repo.deleteDocuments(tenantId, collection, ids);
        await deps.cache.bump(searchNamespace(tenantId, collection));
      }
      return erased;
    },
    async exportUser(tenantId, userId) {
      const documents = (await deps.repo.userDocuments(tenantId, userId)).filter((d) => !d.document.deleted);
      return {
        documents: documents.map(({ collection, document }) => ({
          collection, id: document.id, fields: document.fields, updatedAt: new Date(document.updatedAt).toISOString(),
        })),
      };
    },
  };
}
