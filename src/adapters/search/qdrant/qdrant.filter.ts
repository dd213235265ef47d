/**
 * Translates the metadata filter language (src/ports/search-filter.ts, with its reference
 * semantics) into a Qdrant payload filter over `metadata.<field>`.
 *
 * Where Qdrant differs from the reference:
 * - a string `range` becomes a `datetime_range` (RFC 3339): it agrees with the reference's
 *   lexicographic order for ISO 8601 timestamps, which is what string ranges are for;
 * - `exists` and `eq: null` treat an empty array like an absent field (Qdrant's `is_empty`).
 */
import type { Schemas } from '@qdrant/js-client-rest';
import { AppError } from '../../../platform/errors.js';
import { leaf, type Filter, type FilterScalar, type RangeBounds } from '../../../ports/search-filter.js';

type QdrantFilter = Schemas['Filter'];
type QdrantCondition = Schemas['Condition'];

/** Payload key of a metadata field. */
export const metadataKey = (field: string): string => `metadata.${field}`;

/** The Qdrant filter for `filter` (undefined when there is none). */
export function toQdrantFilter(filter: Filter | undefined): QdrantFilter | undefined {
  if (!filter) return undefined;
  const condition = toCondition(filter);
  return isFilter(condition) ? condition : { must: [condition] };
}

function isFilter(condition: QdrantCondition): condition is QdrantFilter {
  return 'must' in condition || 'should' in condition || 'must_not' in condition;
}

function toCondition(filter: Filter): QdrantCondition {
  if ('and' in filter) return { must: filter.and.map(toCondition) };
  if ('or' in filter) return { should: filter.or.map(toCondition) };
  if ('not' in filter) return { must_not: [toCondition(filter.not)] };
  if ('exists' in filter) return { must_not: [{ is_empty: { key: metadataKey(filter.exists) } }] };
  const [field, condition] = leaf(filter);
  const key = metadataKey(field);
  if ('eq' in filter) return condition === null ? { is_empty: { key } } : equals(key, condition as FilterScalar);
  if ('in' in filter) return oneOf(key, condition as FilterScalar[]);
  return range(key, condition as RangeBounds);
}

/**
 * Equal to one of the values: keywords and integers as ONE `match: {any}` each, so the condition
 * stays small however long the list; other numbers and booleans one condition each.
 */
function oneOf(key: string, values: FilterScalar[]): QdrantCondition {
  const strings = values.filter((v): v is string => typeof v === 'string');
  const integers = values.filter((v): v is number => typeof v === 'number' && Number.isInteger(v));
  const rest = values.filter((v) => typeof v === 'boolean' || (typeof v === 'number' && !Number.isInteger(v)));
  const should: QdrantCondition[] = [
    ...(strings.length > 0 ? [{ key, match: { any: strings } }] : []),
    ...(integers.length > 0 ? [{ key, match: { any: integers } }] : []),
    ...[...new Set(rest)].map((value) => equals(key, value)),
  ];
  return should.length === 1 ? should[0]! : { should };
}

/** Equality for a scalar: match for keywords, integers and booleans; a closed range for other numbers. */
function equals(key: string, value: FilterScalar): QdrantCondition {
  if (typeof value === 'number' && !Number.isInteger(value)) return { key, range: { gte: value, lte: value } };
  return { key, match: { value } };
}

function range(key: string, bounds: RangeBounds): QdrantCondition {
  const values = Object.values(bounds);
  if (values.every((v) => typeof v === 'number')) return { key, range: bounds as Schemas['Range'] };
  if (values.every((v) => typeof v === 'string' && !Number.isNaN(Date.parse(v)))) return { key, range: bounds as Schemas['DatetimeRange'] };
  throw new AppError('VALIDATION_FAILED', {
    detail: `range on ${key.slice('metadata.'.length)}: the Qdrant index compares numbers, or strings that are ISO 8601 dates`,
  });
}
