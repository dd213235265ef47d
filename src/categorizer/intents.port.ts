/**
 * What the categorizer offers other features (through `context.featureApi('categorizer')`):
 * the intent and category it stored beside each event, and a person's intents counted over a
 * time window. Types only; the feature's tables stay its own.
 */
import type { EventAnnotations } from '../events/events.schemas.js';
import type { StoreTx } from '../ports/store.port.js';

/** How an event got its intent: the sender said so, a tenant rule, the zero-shot embedding classifier, or the LLM. */
export type IntentMethod = NonNullable<EventAnnotations['intent']>['method'];

/** The intent the categorizer stored for one event. */
export interface EventIntent {
  eventId: string;
  /** The event's user id (null for events about nobody). */
  userId: string | null;
  /** The event's `time` (ms), as the sender said. */
  time: number;
  /** A label name of the tenant, the sender's or a rule's intent, or `unknown` (no label was confident enough). */
  intent: string;
  category: string;
  /** 0–1: 1 for the sender's and rules' decisions, the classifier's calibrated score otherwise. */
  confidence: number;
  method: IntentMethod;
  /** The tenant's categorizer settings version the row was computed with (rules and labels). */
  labelsVersion: number;
}

/** How many of a person's events had one intent and category. */
export interface IntentCount {
  intent: string;
  category: string;
  count: number;
}

/** Most groups `intentCountsOfUser` returns. */
export const MAX_INTENT_COUNTS = 100;

/**
 * Both reads take the caller's transaction when it has one: a projection calling from its
 * `handleBatch` must pass its `tx`, since on SQLite the store has one connection and a read
 * outside the projection's transaction would wait for it forever.
 */
export interface CategorizerApi {
  /** The stored intents of these events of a tenant, by event id (events not categorised yet are absent). */
  intentsOf(tenantId: string, eventIds: readonly string[], tx?: StoreTx): Promise<Map<string, EventIntent>>;
  /**
   * A person's events whose `time` lies in [from, to), counted per intent and category, most
   * frequent first (ties by intent, then category), at most MAX_INTENT_COUNTS groups.
   */
  intentCountsOfUser(tenantId: string, userId: string, from: number, to: number, tx?: StoreTx): Promise<IntentCount[]>;
}
