/**
 * The similar-people projection's port: per person their profile (counts of types, categories,
 * intents), the embedding of their newest texts and their vector (the source of truth; the
 * search index's `_people` collection is a copy for the nearest-neighbour search), and the
 * newest texts themselves.
 */
import type { StoreTx } from '../../ports/store.port.js';
import type { Profile } from './similar.vector.js';

export interface PersonProfileRow {
  tenantId: string;
  userId: string;
  profile: Profile;
  /** Embedding of the person's newest texts; null without texts. */
  textVector: Float32Array | null;
  vector: Float32Array;
  events: number;
  /** The latest event counted (the index chunk's provenance). */
  lastEventId: string;
}

export interface PersonText { userId: string; seq: number; text: string }

export interface SimilarStore {
  /** Inside `tx`: the rows of these persons of a tenant (absent persons have none). */
  load(tx: StoreTx, tenantId: string, userIds: string[]): Promise<PersonProfileRow[]>;
  /** Inside `tx`: inserts or replaces rows. */
  save(tx: StoreTx, rows: PersonProfileRow[]): Promise<void>;
  /** Inside `tx`: adds texts (by position, so a replay adds nothing twice) and keeps each person's newest `keep`. */
  addTexts(tx: StoreTx, tenantId: string, texts: PersonText[], keep: number): Promise<void>;
  /** Inside `tx`: each person's kept texts, newest first. */
  texts(tx: StoreTx, tenantId: string, userIds: string[]): Promise<Map<string, string[]>>;
  /** Inside `tx`: deletes the tenant's rows (a rebuild applies its log again). */
  clearTenant(tx: StoreTx, tenantId: string): Promise<void>;
  /** Rows of these persons (at most a few dozen: a page of hits). */
  persons(tenantId: string, userIds: string[]): Promise<PersonProfileRow[]>;
  /** A person's kept texts, newest first (privacy export). */
  textsOf(tenantId: string, userId: string): Promise<string[]>;
  /** Deletes a person's rows; returns how many went. */
  eraseUser(tenantId: string, userId: string): Promise<number>;
}
