/**
 * Bounds on the size of a metadata filter, checked without recursion before any other work
 * (schema validation, SQL or Qdrant translation), so a hostile filter costs at most one walk.
 */
import { AppError } from '../../platform/errors.js';

export const FILTER_LIMITS = Object.freeze({
  /** Nesting of and/or/not, counting the leaf: `{not: {eq: …}}` is 2 deep. */
  maxDepth: 16,
  /** Clauses in the whole filter: every and/or/not node and every leaf. */
  maxClauses: 256,
  /** Values in the whole filter: each `eq`/`range`/`exists` leaf counts 1, an `in` leaf its list. */
  maxValues: 4096,
});

const BRANCHES = new Set(['and', 'or']);

function tooComplex(detail: string): AppError {
  return new AppError('FILTER_TOO_COMPLEX', {
    detail: `${detail} (limits: depth ${FILTER_LIMITS.maxDepth}, ${FILTER_LIMITS.maxClauses} clauses, ${FILTER_LIMITS.maxValues} values)`,
    errors: [{ pointer: '/filter', detail }],
  });
}

/** Values a leaf carries: its `in` list's length, otherwise 1. */
function leafValues(node: Record<string, unknown>): number {
  const inner = node.in;
  if (inner === null || typeof inner !== 'object') return 1;
  return Object.values(inner as Record<string, unknown>).reduce<number>((sum, list) => sum + (Array.isArray(list) ? list.length : 1), 0);
}

/**
 * Throws FILTER_TOO_COMPLEX when `filter` (any JSON value: it may not be validated yet) is nested
 * too deeply or has too many clauses or values. Shapes that are not filters are left to the schema.
 */
export function checkFilterSize(filter: unknown): void {
  if (filter === undefined || filter === null) return;
  const stack: Array<{ node: unknown; depth: number }> = [{ node: filter, depth: 1 }];
  let clauses = 0;
  let values = 0;
  while (stack.length > 0) {
    const { node, depth } = stack.pop()!;
    if (node === null || typeof node !== 'object' || Array.isArray(node)) continue;
    if (depth > FILTER_LIMITS.maxDepth) throw tooComplex(`filter nests deeper than ${FILTER_LIMITS.maxDepth}`);
    if (++clauses > FILTER_LIMITS.maxClauses) throw tooComplex(`filter has more than ${FILTER_LIMITS.maxClauses} clauses`);
    const record = node as Record<string, unknown>;
    let branch = false;
    for (const [key, value] of Object.entries(record)) {
      if (BRANCHES.has(key) && Array.isArray(value)) {
        branch = true;
        if (value.length > FILTER_LIMITS.maxClauses) throw tooComplex(`filter has more than ${FILTER_LIMITS.maxClauses} clauses`);
        for (const child of value) stack.push({ node: child, depth: depth + 1 });
      } else if (key === 'not') {
        branch = true;
        stack.push({ node: value, depth: depth + 1 });
      }
    }
    if (!branch && (values += leafValues(record)) > FILTER_LIMITS.maxValues) throw tooComplex(`filter has more than ${FILTER_LIMITS.maxValues} values`);
  }
}
