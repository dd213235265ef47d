/**
 * Compiles a metadata filter (src/ports/search-filter.ts) to an SQLite boolean expression over the
 * JSON column `c.metadata`, with bound parameters. Semantics match `matchesFilter` there: a `string[]`
 * field matches when any element does (json_each walks arrays and yields a scalar once).
 */
import { leaf, type Filter, type FilterScalar, type RangeBounds } from '../../../ports/search-filter.js';

export interface SqlFilter {
  sql: string;
  params: (string | number)[];
}

const OPERATORS: Record<keyof RangeBounds, string> = { gt: '>', gte: '>=', lt: '<', lte: '<=' };

/** `$."field"` JSON path; field names are validated by the schema, quotes are escaped anyway. */
function path(field: string): string {
  return `$."${field.replace(/"/g, '""')}"`;
}

/** Condition on one json_each value `j` (type + value), matching JS strict equality. */
function scalarCondition(value: FilterScalar, params: (string | number)[]): string {
  if (typeof value === 'boolean') return value ? "j.type = 'true'" : "j.type = 'false'";
  params.push(value);
  return typeof value === 'number' ? "(j.type IN ('integer','real') AND j.value = ?)" : "(j.type = 'text' AND j.value = ?)";
}

/**
 * Condition on `j` for a list of values: each type's values are bound as ONE JSON array, so the
 * expression's size does not grow with the list (SQLite limits expression depth).
 */
function inCondition(values: FilterScalar[], params: (string | number)[]): string {
  const parts: string[] = [];
  const strings = values.filter((v): v is string => typeof v === 'string');
  const numbers = values.filter((v): v is number => typeof v === 'number');
  if (strings.length > 0) {
    parts.push("(j.type = 'text' AND j.value IN (SELECT value FROM json_each(?)))");
    params.push(JSON.stringify(strings));
  }
  if (numbers.length > 0) {
    parts.push("(j.type IN ('integer','real') AND j.value IN (SELECT value FROM json_each(?)))");
    params.push(JSON.stringify(numbers));
  }
  if (values.includes(true)) parts.push("j.type = 'true'");
  if (values.includes(false)) parts.push("j.type = 'false'");
  return `(${parts.join(' OR ')})`;
}

function anyElement(field: string, condition: string, params: (string | number)[], before: (string | number)[]): string {
  params.unshift(...before);
  return `EXISTS (SELECT 1 FROM json_each(c.metadata, ?) AS j WHERE ${condition})`;
}

function leafSql(filter: Filter): SqlFilter {
  const [field, condition] = leaf(filter);
  const params: (string | number)[] = [];
  if ('eq' in filter && condition === null) {
    return { sql: "(json_type(c.metadata, ?) IS NULL OR json_type(c.metadata, ?) = 'null')", params: [path(field), path(field)] };
  }
  if ('eq' in filter) return { sql: anyElement(field, scalarCondition(condition as FilterScalar, params), params, [path(field)]), params };
  if ('in' in filter) return { sql: anyElement(field, inCondition(condition as FilterScalar[], params), params, [path(field)]), params };
  const bounds = condition as RangeBounds;
  const parts: string[] = [];
  for (const key of Object.keys(OPERATORS) as (keyof RangeBounds)[]) {
    const bound = bounds[key];
    if (bound === undefined) continue;
    parts.push(typeof bound === 'number' ? `j.type IN ('integer','real') AND j.value ${OPERATORS[key]} ?` : `j.type = 'text' AND j.value ${OPERATORS[key]} ?`);
    params.push(bound);
  }
  return { sql: anyElement(field, parts.map((part) => `(${part})`).join(' AND '), params, [path(field)]), params };
}

/**
 * SQL for a search: `filter`, and with `owner` the indexed pre-selection of that owner's chunks
 * (the `chunks_owner` expression index; the SQL text must match the index's expression).
 */
export function compileSearchFilter(filter: Filter | undefined, owner: string | undefined): SqlFilter {
  const compiled = compileFilter(filter);
  if (owner === undefined) return compiled;
  return { sql: `(json_extract(c.metadata, '$.userId') = ? AND ${compiled.sql})`, params: [owner, ...compiled.params] };
}

/** SQL expression + parameters for `filter`; `1` when there is none. */
export function compileFilter(filter: Filter | undefined): SqlFilter {
  if (!filter) return { sql: '1', params: [] };
  if ('exists' in filter) {
    return { sql: "(json_type(c.metadata, ?) IS NOT NULL AND json_type(c.metadata, ?) != 'null')", params: [path(filter.exists), path(filter.exists)] };
  }
  if ('not' in filter) {
    const inner = compileFilter(filter.not);
    return { sql: `NOT (${inner.sql})`, params: inner.params };
  }
  if ('and' in filter || 'or' in filter) {
    const parts = ('and' in filter ? filter.and : filter.or).map(compileFilter);
    return {
      sql: `(${parts.map((part) => part.sql).join('and' in filter ? ' AND ' : ' OR ')})`,
      params: parts.flatMap((part) => part.params),
    };
  }
  return leafSql(filter);
}
