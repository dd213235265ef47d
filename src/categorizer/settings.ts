/**
 * A tenant's categorizer settings: rules (event type pattern → category, optionally intent) and
 * labels (`{name, description, category}`) with a threshold. The TypeBox schemas here are the
 * single definition of their shape and bounds (HTTP validation, types, OpenAPI); what JSON
 * Schema cannot say (unique names, lines per description) is checked by `checkLabels`/`checkRules`.
 */
import { Type, type Static } from 'typebox';
import { AppError, type FieldError } from '../platform/errors.js';
import { DEFAULT_LABELS, DEFAULT_RULES } from './defaults.js';

export const MAX_LABELS = 32;
export const MAX_RULES = 200;
export const MAX_DESCRIPTION_LENGTH = 600;
/** Lines of one description (each is compared with an event on its own: one per language or phrasing). */
export const MAX_DESCRIPTION_LINES = 8;
/** The intent of an event no label fits well enough. */
export const UNKNOWN = 'unknown';

const NAME_PATTERN = '^[a-z0-9][a-z0-9_-]{0,47}$';
const CATEGORY_PATTERN = '^[a-z0-9][a-z0-9_.-]{0,63}$';
/** `*`, an event type, or a type prefix followed by `.*` (src/platform/patterns.ts). */
const RULE_PATTERN = '^(\\*|[a-z0-9][a-z0-9_-]*(\\.[a-z0-9][a-z0-9_-]*)*(\\.\\*)?)$';

export const LabelSchema = Type.Object({
  name: Type.String({ pattern: NAME_PATTERN, maxLength: 48, description: 'The intent this label stands for (lowercase, digits, - and _); not `unknown`' }),
  description: Type.String({
    minLength: 1, maxLength: MAX_DESCRIPTION_LENGTH,
    description: `What events of this intent are about, one line per language or phrasing (at most ${MAX_DESCRIPTION_LINES} lines); each line is compared with an event and the best one counts`,
  }),
  category: Type.Optional(Type.String({ pattern: CATEGORY_PATTERN, maxLength: 64, description: 'Category of events with this intent (default: the event\'s own category)' })),
}, { additionalProperties: false });
export type Label = Static<typeof LabelSchema>;

export const RuleSchema = Type.Object({
  pattern: Type.String({ pattern: RULE_PATTERN, maxLength: 128, description: 'Event type, `prefix.*` or `*`; the most specific matching pattern wins' }),
  category: Type.String({ pattern: CATEGORY_PATTERN, maxLength: 64 }),
  intent: Type.Optional(Type.String({ pattern: NAME_PATTERN, maxLength: 48, description: 'Fixed intent of these events; without it the classifier chooses the intent and the rule the category' })),
}, { additionalProperties: false });
export type Rule = Static<typeof RuleSchema>;

export const ThresholdSchema = Type.Number({ minimum: 0, maximum: 1, description: 'Confidence below which the classifier answers `unknown`' });

/** What one tenant's events are categorised with. */
export interface Settings {
  /** Bumped by every change of rules, labels or threshold; 0 while the tenant has changed nothing. */
  version: number;
  rules: readonly Rule[];
  labels: readonly Label[];
  threshold: number;
  /** Which parts the tenant set (the others are the built-in defaults or CATEGORIZER_THRESHOLD). */
  custom: { rules: boolean; labels: boolean; threshold: boolean };
}

/** A tenant's stored settings: null parts are the defaults. */
export interface StoredSettings {
  version: number;
  rules: Rule[] | null;
  labels: Label[] | null;
  threshold: number | null;
}

export function effectiveSettings(stored: StoredSettings | undefined, defaultThreshold: number): Settings {
  return {
    version: stored?.version ?? 0,
    rules: stored?.rules ?? DEFAULT_RULES,
    labels: stored?.labels ?? DEFAULT_LABELS,
    threshold: stored?.threshold ?? defaultThreshold,
    custom: { rules: (stored?.rules ?? null) !== null, labels: (stored?.labels ?? null) !== null, threshold: (stored?.threshold ?? null) !== null },
  };
}

/** The lines of a description (blank lines dropped). */
export function descriptionLines(label: Label): string[] {
  return label.description.split(/\r?\n/).map((line) => line.trim()).filter(Boolean);
}

/** What zero-shot compares events with: each line of the description, after the label's name. */
export function labelTexts(label: Label): string[] {
  const name = label.name.replace(/[-_]+/g, ' ');
  return descriptionLines(label).map((line) => `${name}: ${line}`);
}

function invalid(errors: FieldError[]): AppError {
  return new AppError('VALIDATION_FAILED', { detail: errors.map((e) => `${e.pointer} ${e.detail}`).join('; '), errors });
}

/** Throws VALIDATION_FAILED for duplicate names, the reserved name and over-long descriptions. */
export function checkLabels(labels: readonly Label[]): void {
  const errors: FieldError[] = [];
  const seen = new Set<string>();
  labels.forEach((label, i) => {
    if (label.name === UNKNOWN) errors.push({ pointer: `/labels/${i}/name`, detail: '`unknown` is the answer when no label fits; it cannot be a label' });
    if (seen.has(label.name)) errors.push({ pointer: `/labels/${i}/name`, detail: `${label.name} is listed twice` });
    seen.add(label.name);
    const lines = descriptionLines(label).length;
    if (lines === 0) errors.push({ pointer: `/labels/${i}/description`, detail: 'has no text' });
    if (lines > MAX_DESCRIPTION_LINES) errors.push({ pointer: `/labels/${i}/description`, detail: `has ${lines} lines, at most ${MAX_DESCRIPTION_LINES}` });
  });
  if (errors.length > 0) throw invalid(errors);
}

/** Throws VALIDATION_FAILED for patterns listed twice and the reserved intent. */
export function checkRules(rules: readonly Rule[]): void {
  const errors: FieldError[] = [];
  const seen = new Set<string>();
  rules.forEach((rule, i) => {
    if (seen.has(rule.pattern)) errors.push({ pointer: `/rules/${i}/pattern`, detail: `${rule.pattern} is listed twice` });
    seen.add(rule.pattern);
    if (rule.intent === UNKNOWN) errors.push({ pointer: `/rules/${i}/intent`, detail: 'a rule gives a known intent; leave it out to let the classifier choose' });
  });
  if (errors.length > 0) throw invalid(errors);
}
