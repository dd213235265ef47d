/**
 * The metadata filter language shared by every SearchIndex adapter and the HTTP layer.
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
import { Type, type Static } from 'typebox';

/** Field names usable in filters and metadata keys. */
export const FIELD_PATTERN = '^[A-Za-z_][A-Za-z0-9_-]{0,63}$';

/**
 * Leaf values are ONE `type` list, not a union of schemas: the HTTP validator coerces types, and
 * with a union its first branch would turn `2024` and `true` into strings (then they never match
 * number or boolean metadata). With a type list, a value whose type is listed is left as it is.
 */
const Scalar = Type.Unsafe<FilterScalar>({ type: ['string', 'number', 'boolean'] });
const ScalarOrNull = Type.Unsafe<FilterScalar | null>({ type: ['string', 'number', 'boolean', 'null'] });
const Field = (value: Parameters<typeof Type.Record>[1]) =>
  Type.Record(Type.String({ pattern: FIELD_PATTERN }), value, {
    minProperties: 1,
    maxProperties: 1,
    additionalProperties: false,
  });
const Bound = Type.Unsafe<number | string>({ type: ['number', 'string'] });

export const EqFilterSchema = Type.Object({ eq: Field(ScalarOrNull) }, { additionalProperties: false });
export const InFilterSchema = Type.Object(
  { in: Field(Type.Array(Scalar, { minItems: 1, maxItems: 1024 })) },
  { additionalProperties: false },
);
export const RangeFilterSchema = Type.Object(
  {
    range: Field(
      Type.Object(
        { gt: Type.Optional(Bound), gte: Type.Optional(Bound), lt: Type.Optional(Bound), lte: Type.Optional(Bound) },
        { additionalProperties: false, minProperties: 1 },
      ),
    ),
  },
  { additionalProperties: false },
);
export const ExistsFilterSchema = Type.Object(
  { exists: Type.String({ pattern: FIELD_PATTERN }) },
  { additionalProperties: false },
);

/** JSON schema of a metadata filter (recursive through `and`/`or`/`not`). */
export const FilterSchema = Type.Cyclic(
  {
    Filter: Type.Union([
      EqFilterSchema,
      InFilterSchema,
      RangeFilterSchema,
      ExistsFilterSchema,
      Type.Object({ and: Type.Array(Type.Ref('Filter'), { minItems: 1, maxItems: 64 }) }, { additionalProperties: false }),
      Type.Object({ or: Type.Array(Type.Ref('Filter'), { minItems: 1, maxItems: 64 }) }, { additionalProperties: false }),
      Type.Object({ not: Type.Ref('Filter') }, { additionalProperties: false }),
    ]),
  },
  'Filter',
  { $id: 'MetadataFilter', description: 'Metadata filter: eq, in, range, exists, and/or/not' },
);

export type FilterScalar = string | number | boolean;
export type RangeBounds = { gt?: number | string; gte?: number | string; lt?: number | string; lte?: number | string };

/** A metadata filter, as validated by {@link FilterSchema}. */
export type Filter =
  | { eq: Record<string, FilterScalar | null> }
  | { in: Record<string, FilterScalar[]> }
  | { range: Record<string, RangeBounds> }
  | { exists: string }
  | { and: Filter[] }
  | { or: Filter[] }
  | { not: Filter };

/** Compile-time check that the hand-written union and the schema agree on leaf shapes. */
export type EqFilter = Static<typeof EqFilterSchema>;
