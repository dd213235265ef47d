/** Small list helpers shared by the SQL adapters of the backbone and the features. */

/** Rows or ids per statement unless a caller says otherwise: within both engines' parameter limits. */
export const STATEMENT_CHUNK = 200;

/** `items` in consecutive slices of at most `size`. */
export function chunks<T>(items: readonly T[], size = STATEMENT_CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Code-unit order of two strings (what `sort` does by default), for sorting rows by key. */
export const compareText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
