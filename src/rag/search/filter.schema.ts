/**
 * JSON schema of the metadata filter language (the language and its semantics:
 * src/ports/search-filter.ts), for the HTTP layer.
 */
import { Type, type Static } from 'typebox';
import { FIELD_PATTERN, type FilterScalar } from '../../ports/search-filter.js';

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

/** Compile-time check that the hand-written union and the schema agree on leaf shapes. */
export type EqFilter = Static<typeof EqFilterSchema>;
