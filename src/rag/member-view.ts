/**
 * The member's view: which documents of a tenant a caller may read. Defined here once and used by
 * search (as a filter inside the index query), answers (their sources are search hits), document
 * reads and collection stats.
 *
 * - An admin reads every document of the tenant.
 * - A member reads every document of a *shared* collection and, in a *per-user* collection
 *   (`scope: "user"`), only the documents they own.
 * - Ingest keys read nothing (no read route admits them).
 *
 * The owner of a document in a per-user collection is its reserved metadata field `userId`: the
 * user of the event that wrote it (members can only write events about themselves), or, for a
 * document written through the documents API by an admin or ingest key, its `userId` field.
 *
 * What members write: their events write the documents they own in per-user collections; in a
 * shared collection, which every user of the tenant reads, only through the collection's source
 * rules, only where it allows it (`memberWrites: true`), and only documents that member wrote
 * (each stored document records its writer). A member's `document.*` events never change a shared
 * collection. Each event records its sender's role for this (see senderMayWrite).
 */
import type { SenderRole } from '../ports/events.types.js';
import type { Role } from '../ports/store.port.js';
import type { Collection } from './store/rag.store.js';
import type { CollectionScope } from './collections/collection.schemas.js';
import { TEMPLATE_BY_NAME } from './collections/templates.js';
import type { Filter } from '../ports/search-filter.js';

/** Reserved metadata field holding a document's owner in a per-user collection. */
export const OWNER_FIELD = 'userId';

/** Who reads: the part of a principal the view depends on. */
export interface Viewer {
  role: Role;
  userId: string | null;
}

/** An in-process caller with the tenant's whole view (the CLI, evaluation). */
export const TENANT_VIEWER: Viewer = Object.freeze({ role: 'admin', userId: null });

/** What a viewer may read of one collection. */
export type CollectionView =
  | { kind: 'all' }
  | { kind: 'none' }
  | { kind: 'owned'; userId: string };

/** The collection's scope; collections stored before `scope` existed take their template's. */
export function scopeOf(collection: Pick<Collection, 'settings' | 'template'>): CollectionScope {
  const template = collection.template === null ? undefined : TEMPLATE_BY_NAME.get(collection.template);
  return collection.settings.scope ?? template?.settings.scope ?? 'shared';
}

/** Whether members' events may write into a shared collection (default false; stored collections without the setting: false). */
export function memberWritesOf(collection: Pick<Collection, 'settings'>): boolean {
  return collection.settings.memberWrites === true;
}

/**
 * Whether an event from this sender may write documents into the collection through its source
 * rules: a member's only into a per-user collection (as its owner) or a shared one with
 * `memberWrites` (there only documents the member wrote; see DocumentWrite.writer). Events stored before
 * senders were recorded (null) are applied as they always were, so replays stay identical.
 */
export function senderMayWrite(senderRole: SenderRole | null, collection: Pick<Collection, 'settings' | 'template'>): boolean {
  if (senderRole !== 'member') return true;
  return scopeOf(collection) === 'user' || memberWritesOf(collection);
}

/**
 * Whether a `document.upserted` / `document.deleted` event from this sender may change the
 * collection: a member's only a per-user one (as its owner), whatever `memberWrites` says.
 */
export function senderMayWriteDocuments(senderRole: SenderRole | null, collection: Pick<Collection, 'settings' | 'template'>): boolean {
  return senderRole !== 'member' || scopeOf(collection) === 'user';
}

export function collectionView(viewer: Viewer, collection: Pick<Collection, 'settings' | 'template'>): CollectionView {
  if (viewer.role === 'admin') return { kind: 'all' };
  if (viewer.role !== 'member') return { kind: 'none' };
  if (scopeOf(collection) === 'shared') return { kind: 'all' };
  return viewer.userId ? { kind: 'owned', userId: viewer.userId } : { kind: 'none' };
}

/**
 * The filter a search of `collection` runs with: the caller's filter ANDed under the view's own
 * condition, so nothing the caller sends (`or`, `not`, an `eq` on `userId`) widens it.
 * Returns null when the viewer may read nothing of the collection.
 */
export function viewFilter(view: CollectionView, filter: Filter | undefined): Filter | undefined | null {
  if (view.kind === 'none') return null;
  if (view.kind === 'all') return filter;
  const own: Filter = { eq: { [OWNER_FIELD]: view.userId } };
  return filter ? { and: [own, filter] } : own;
}

/** The owner recorded in a stored document's fields (per-user collections), or null. */
export function ownerOf(fields: Record<string, unknown> | null): string | null {
  const owner = fields?.[OWNER_FIELD];
  return typeof owner === 'string' && owner.length > 0 ? owner : null;
}

/** Whether the viewer may read this stored document of the collection. */
export function canReadDocument(view: CollectionView, fields: Record<string, unknown> | null): boolean {
  if (view.kind === 'all') return true;
  if (view.kind === 'none') return false;
  return ownerOf(fields) === view.userId;
}
