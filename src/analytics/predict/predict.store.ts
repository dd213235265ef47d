/**
 * The next-action projection's port: per tenant the counts of the variable-order model (context →
 * next type → count, and per context its total and number of distinct next types), per person
 * the context the next event is predicted from. Counts carry no user id: they are the tenant's
 * statistics; a person's row is their context only.
 */
import type { StoreTx } from '../../ports/store.port.js';
import type { BackoffLevel } from './markov.js';

/** A context as a key: its symbols oldest first (SESSION_START is ''), as JSON. `[]` is order 0. */
export const contextKey = (symbols: readonly string[]): string => JSON.stringify(symbols);

/** What the projection keeps of a person: the latest types of their current session. */
export interface PersonContextRow {
  tenantId: string;
  userId: string;
  /** The session's latest types, oldest first, at most the model's order. */
  recent: string[];
  /** Events of the session so far (its start is in the context while this is ≤ the order). */
  sessionLength: number;
  /** The client's session id of the latest event, null when it carried none. */
  sessionId: string | null;
  /** Source app of the latest event, '' when none. */
  sourceApp: string;
  /** Latest event time seen in the session (ms). */
  lastTime: number;
  /** The person's events counted so far. */
  events: number;
}

/** Count increments of one tenant: context key → next type → how many more. */
export type CountDeltas = Map<string, Map<string, number>>;

export interface PredictStore {
  /** Inside `tx`: the context rows of these persons of a tenant (absent persons have none). */
  loadPersons(tx: StoreTx, tenantId: string, userIds: string[]): Promise<PersonContextRow[]>;
  /** Inside `tx`: inserts or replaces context rows. */
  savePersons(tx: StoreTx, rows: PersonContextRow[]): Promise<void>;
  /** Inside `tx`: adds the increments to the tenant's counts and context totals. */
  addCounts(tx: StoreTx, tenantId: string, deltas: CountDeltas): Promise<void>;
  /** Inside `tx`: deletes the tenant's counts and contexts (a rebuild applies its log again). */
  clearTenant(tx: StoreTx, tenantId: string): Promise<void>;
  /** A person's context row. */
  person(tenantId: string, userId: string): Promise<PersonContextRow | undefined>;
  /**
   * The levels of these contexts that exist (keyed by context key): each with its total and
   * distinct count and the counts of at most `maxTypes` next types (the most frequent), plus the
   * exact counts in every level of any type read in one of them, so candidates are scored exactly.
   */
  levels(tenantId: string, keys: string[], maxTypes: number): Promise<Map<string, BackoffLevel>>;
  /** Deletes a person's context row; returns how many went. */
  eraseUser(tenantId: string, userId: string): Promise<number>;
}
