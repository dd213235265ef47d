/**
 * The decisions before any classifier runs, in order: what the sender said, then the tenant's
 * rule for the type. Pure functions over one event.
 */
import type { IntentMethod } from './intents.port.js';
import { RuleBook } from './rules.js';
import type { Rule, Settings } from './settings.js';

/** An event as the categorizer sees it: the log entry's fields it reads, and what the catalog says of its type. */
export interface CategorizerEvent {
  id: string;
  tenantId: string;
  type: string;
  userId: string | null;
  time: number;
  /** The envelope's category: the catalog's for known types, the sender's (or `custom`) for others. */
  category: string;
  data: unknown;
  /** The catalog's description of the type (null for types outside the catalog). */
  typeDescription: string | null;
  /** The type is neither built in nor registered by the tenant: its category came from the sender. */
  custom: boolean;
}

/** What the categorizer stores for one event. */
export interface Classification {
  intent: string;
  category: string;
  confidence: number;
  method: IntentMethod;
}

/** Longest intent a sender may give in `data.intent`. */
const SENDER_INTENT_MAX = 64;

/** `data.intent` when it is a non-empty string of at most 64 characters. */
export function senderIntent(data: unknown): string | null {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return null;
  const value = (data as Record<string, unknown>).intent;
  if (typeof value !== 'string') return null;
  const trimmed = value.trim();
  return trimmed.length > 0 && trimmed.length <= SENDER_INTENT_MAX ? trimmed : null;
}

/** A tenant's settings, prepared for lookups. */
export interface PreparedSettings {
  settings: Settings;
  rules: RuleBook;
  /** Label name → its category (when it names one). */
  labelCategory: ReadonlyMap<string, string | undefined>;
}

export function prepare(settings: Settings): PreparedSettings {
  return { settings, rules: new RuleBook(settings.rules), labelCategory: new Map(settings.labels.map((l) => [l.name, l.category])) };
}

/**
 * The sender's own classification: an intent in `data.intent`, or a category the sender gave to
 * a type outside the catalog. Kept as given (confidence 1); what the sender left out comes from
 * the rule's or label's category, else the event's.
 */
export function bySender(event: CategorizerEvent, prepared: PreparedSettings, rule: Rule | null): Classification | null {
  const intent = senderIntent(event.data);
  const category = event.custom && event.category !== 'custom' ? event.category : null;
  if (intent === null && category === null) return null;
  return {
    intent: intent ?? category!,
    category: category ?? rule?.category ?? (intent !== null ? prepared.labelCategory.get(intent) : undefined) ?? event.category,
    confidence: 1,
    method: 'sender',
  };
}

/** A rule that fixes the intent decides the event (confidence 1). */
export function byRule(rule: Rule | null): Classification | null {
  return rule?.intent ? { intent: rule.intent, category: rule.category, confidence: 1, method: 'rule' } : null;
}

/** The classifier's intent with its category: the rule's, else the label's, else the event's own. */
export function withCategory(
  event: CategorizerEvent, prepared: PreparedSettings, rule: Rule | null,
  choice: { intent: string; confidence: number; method: 'embedding' | 'llm' },
): Classification {
  const category = rule?.category ?? prepared.labelCategory.get(choice.intent) ?? event.category;
  return { intent: choice.intent, category, confidence: choice.confidence, method: choice.method };
}
