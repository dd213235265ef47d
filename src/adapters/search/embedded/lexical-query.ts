/**
 * Builds the FTS5 MATCH expression for a query: OR of the analysed words (column `words`) and
 * character n-grams (column `grams`). Terms present in more than half of the chunks are left
 * out: FTS5's bm25 floors their idf at 1e-6, so they cannot change the ranking, but their long
 * posting lists dominate query time.
 */
import { analyzeQuery, type AnalyzerOptions } from '../../../rag/text/analyzer.js';
import type { LanguageSetting } from '../../../rag/text/language.js';

/** Column-qualified document frequencies, keyed `words:term` / `grams:term`. */
export interface FrequencySource {
  documentFrequencies(column: 'words' | 'grams', terms: string[]): Map<string, number>;
}

const quote = (term: string) => `"${term.replace(/"/g, '""')}"`;

/** The MATCH expression, or null when the query has no searchable terms. */
export function buildMatch(
  query: string,
  language: LanguageSetting,
  analyzer: AnalyzerOptions,
  source: FrequencySource,
  total: number,
): string | null {
  const { words, grams } = analyzeQuery(query, language, analyzer);
  const parts: string[] = [];
  for (const [column, terms] of [['words', words], ['grams', grams]] as const) {
    if (terms.length === 0) continue;
    const df = source.documentFrequencies(column, terms);
    const useful = terms.filter((term) => (df.get(term) ?? 0) * 2 <= total);
    const kept = useful.length > 0 ? useful : terms;
    parts.push(`{${column}}: (${kept.map(quote).join(' OR ')})`);
  }
  return parts.length > 0 ? parts.join(' OR ') : null;
}
