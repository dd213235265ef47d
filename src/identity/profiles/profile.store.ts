/**
 * The identity feature's port: per-id traits (`user_traits`) and identity links
 * (`identity_links`) kept by the identity projection, and the lookups the Segment API needs in
 * the request path. Rows remember the log position (`seq`) of the event that wrote each trait
 * and each link, so the projection is order-free: the latest event wins whatever order events
 * are applied in (live, replayed, retried, or rebuilt while new events arrive).
 */
import type { StoreTx } from '../../ports/store.port.js';
import type { LinkKind } from './profile-facts.js';

export interface TraitsRow {
  tenantId: string;
  /** A user id, or an anonymous id whose traits were sent before it was stitched to a user. */
  userId: string;
  traits: Record<string, unknown>;
  /** Position of the event that last set each trait. */
  traitSeqs: Record<string, number>;
  /** The highest of them. */
  seq: number;
  updatedAt: number;
}

export interface LinkRow {
  tenantId: string;
  kind: LinkKind;
  fromId: string;
  toId: string;
  /** The person the link is about: `toId` for anonymous ids and aliases, `fromId` for groups. */
  userId: string;
  seq: number;
  createdAt: number;
}

/** What one person's rows are, for export. */
export interface ProfileExport {
  traits: Record<string, unknown> | null;
  /** Traits sent under anonymous ids or old ids stitched to the user, by id. */
  earlierTraits: Record<string, Record<string, unknown>>;
  links: Array<{ kind: LinkKind; fromId: string; toId: string; createdAt: number }>;
}

export interface ProfileStore {
  /**
   * A user's traits, or undefined when none were sent: their own, over those sent under the ids
   * stitched to them (anonymous ids, old ids), the latest of which wins.
   */
  traits(tenantId: string, userId: string): Promise<Record<string, unknown> | undefined>;
  /** The user an anonymous id or alias was stitched to, if any. */
  resolve(tenantId: string, anonymousOrAlias: string): Promise<string | undefined>;
  /**
   * True when the tenant already knows `id` as someone: it has traits, an anonymous id or alias
   * was stitched to it, events were stored with it as their user, or Segment events carry it as
   * their anonymous id, unless every such event is about `asideFrom` (that user's own earlier
   * anonymous activity). A member may only link ids nobody else has used yet. Indexed lookups only.
   */
  isKnown(tenantId: string, id: string, asideFrom?: string): Promise<boolean>;
  /** Traits rows of these ids, inside `tx` (the projection's read before it merges). */
  loadTraits(tx: StoreTx, tenantId: string, userIds: string[]): Promise<TraitsRow[]>;
  /** Link rows from these ids (any kind), inside `tx`. */
  loadLinks(tx: StoreTx, tenantId: string, fromIds: string[]): Promise<LinkRow[]>;
  /** Inserts or replaces traits rows, inside `tx`. */
  saveTraits(tx: StoreTx, rows: TraitsRow[]): Promise<void>;
  /** Inserts links or moves them to a new target, inside `tx`. */
  saveLinks(tx: StoreTx, rows: LinkRow[]): Promise<void>;
  /** Deletes a tenant's traits and links, inside `tx` (a rebuild replays the log into them). */
  clearTenant(tx: StoreTx, tenantId: string): Promise<void>;
  /** Everything held about a user: their traits, the traits of ids stitched to them, their links. */
  exportUser(tenantId: string, userId: string): Promise<ProfileExport>;
  /** Deletes all of that in one transaction; returns how many rows went. */
  eraseUser(tenantId: string, userId: string): Promise<number>;
}
