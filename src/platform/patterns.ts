/**
 * Event type patterns: `*` matches everything, `article.*` matches `article.created` and
 * `article.stock.low`, anything else matches exactly.
 */
export function typeMatches(pattern: string, type: string): boolean {
  if (pattern === '*' || pattern === type) return true;
  if (pattern.endsWith('.*')) return type.startsWith(pattern.slice(0, -1));
  return false;
}

export function anyTypeMatches(patterns: readonly string[], type: string): boolean {
  return patterns.some((pattern) => typeMatches(pattern, type));
}
