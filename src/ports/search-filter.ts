/**
 * The metadata filter language shared by every SearchIndex adapter and the HTTP layer, and its
 * reference semantics evaluated in JS. Adapters that translate filters (SQL, Qdrant) must agree
 * with `matchesFilter`; contract tests check it. The JSON schema the API validates against is
 * src/rag/search/filter.schema.ts; its size bounds are src/rag/search/filter.limits.ts.
 *
 * A filter is one of:
 * - `{ eq: { field: value } }` — equal (for a `string[]` field: contains the value);
 * - `{ in: { field: [values] } }` — equal to one of the values (array field: shares one);
 * - `{ range: { field: { gt?, gte?, lt?, lte? } } }` — numbers, or strings compared
 *   lexicographically (ISO 8601 dates sort correctly);
 * - `{ exists: field }` — the field is present and not null;
 * - `{ and: [filters] }`, `{ or: [filters] }`, `{ not: filter }`.
 * Each leaf names exactly one field. Field names are `[A-Za-z_][A-Za-z0-9_-]*`.
 */
import type { Metadata, MetadataValue } from './search-index.port.js';

/** Field names usable in filters and metadata keys. */
export const FIELD_PATTERN = '^[A-Za-z_][A-Za-z0-9_-]{0,63}$';

export type FilterScalar = string | number | boolean;
export type RangeBounds = { gt?: number | string; gte?: number | string; lt?: number | string; lte?: number | string };

/** A metadata filter (the API validates it against FilterSchema in src/rag/search/filter.schema.ts). */
export type Filter =
  | { eq: Record<string, FilterScalar | null> }
  | { in: Record<string, FilterScalar[]> }
  | { range: Record<string, RangeBounds> }
  | { exists: string }
  | { and: Filter[] }
  | { or: Filter[] }
  | { not: Filter };

/** True when `metadata` satisfies `filter`. */
export function matchesFilter(filter: Filter, metadata: Metadata): boolean {
  if ('and' in filter) return filter.and.every((part) => matchesFilter(part, metadata));
  if ('or' in filter) return filter.or.some((part) => matchesFilter(part, metadata));
  if ('not' in filter) return !matchesFilter(filter.not, metadata);
  if ('exists' in filter) return metadata[filter.exists] !== undefined && metadata[filter.exists] !== null;
  const [field, condition] = leaf(filter);
  const value = metadata[field];
  if ('eq' in filter) return condition === null ? value === null || value === undefined : anyElement(value, (v) => v === condition);
  if ('in' in filter) return anyElement(value, (v) => (condition as FilterScalar[]).includes(v));
  return anyElement(value, (v) => inRange(v, condition as RangeBounds));
}

/** The one field and condition of a leaf filter. */
export function leaf(filter: Filter): [string, unknown] {
  const body = Object.values(filter)[0] as Record<string, unknown>;
  const entry = Object.entries(body)[0];
  if (!entry) throw new TypeError('filter leaf names no field');
  return entry;
}

function anyElement(value: MetadataValue | undefined, test: (v: FilterScalar) => boolean): boolean {
  if (value === undefined || value === null) return false;
  return Array.isArray(value) ? value.some(test) : test(value);
}

/** Numbers compare with numbers, strings with strings; mixed types never match. */
function inRange(value: FilterScalar, bounds: RangeBounds): boolean {
  const checks: [number | string | undefined, (a: number | string, b: number | string) => boolean][] = [
    [bounds.gt, (a, b) => a > b],
    [bounds.gte, (a, b) => a >= b],
    [bounds.lt, (a, b) => a < b],
    [bounds.lte, (a, b) => a <= b],
  ];
  return checks.every(([bound, test]) => bound === undefined || (typeof bound === typeof value && typeof value !== 'boolean' && test(value, bound)));
}
