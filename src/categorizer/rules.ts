/**
 * Rule lookup: the most specific pattern that matches an event type wins (an exact type before
 * any `prefix.*`, a longer prefix before a shorter one, `*` last), whatever the rules' order.
 */
import { typeMatches } from '../platform/patterns.js';
import type { Rule } from './settings.js';

/** Higher is more specific: exact types above every prefix, prefixes by length, `*` at 0. */
export function specificity(pattern: string): number {
  if (pattern === '*') return 0;
  if (pattern.endsWith('.*')) return pattern.length;
  return 1_000 + pattern.length;
}

/** Rules of one tenant, ready to match (sorted once per settings version). */
export class RuleBook {
  readonly #rules: Rule[];
  readonly #byType = new Map<string, Rule | null>();

  constructor(rules: readonly Rule[]) {
    this.#rules = [...rules].sort((a, b) => specificity(b.pattern) - specificity(a.pattern));
  }

  /** The rule for this type, or null. */
  match(type: string): Rule | null {
    const known = this.#byType.get(type);
    if (known !== undefined) return known;
    const rule = this.#rules.find((r) => typeMatches(r.pattern, type)) ?? null;
    if (this.#byType.size < 10_000) this.#byType.set(type, rule);
    return rule;
  }
}
