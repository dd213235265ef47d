/**
 * Reference semantics of the metadata filter language (see filter.schema.ts), evaluated in JS.
 * Adapters that translate filters (SQL, Qdrant) must agree with this; contract tests check it.
 */
import type { Metadata, MetadataValue } from '../ports/search-index.port.js';
import type { Filter, FilterScalar, RangeBounds } from './filter.schema.js';

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
