/**
 * Builds the FTS5 MATCH expression for a query: OR of the analysed words (column `words`) and
 * character n-grams (column `grams`). FTS5 runs a MATCH synchronously and its cost grows with the
 * posting lists of the terms, so the work of one query is bounded (QUERY_TERM_LIMITS):
 * - terms are deduplicated, and only the first `lookup` distinct terms per column are considered;
 * - terms absent from the index are left out (they match nothing, so nothing changes);
 * - terms present in more than half of the chunks are left out: FTS5's bm25 floors their idf at
 *   1e-6, so they cannot change the ranking, but their long posting lists dominate query time;
 * - the rest are kept rarest first (the highest idf, the shortest posting lists), at most `keep`
 *   per column and while their document frequencies add up to at most `postings`.
 * Short queries (SciFact: about 12 words) stay far below every limit.
 * Looking up a document frequency in FTS5 reads the term's posting list, so the frequencies of
 * common terms are cached per partition for a minute (FrequencyCache): they only choose terms.
 */
import { analyzeQuery, type AnalyzerOptions } from '../../../text/analyzer.js';
import type { LanguageSetting } from '../../../text/language.js';

/** Column-qualified document frequencies, keyed `words:term` / `grams:term`. */
export interface FrequencySource {
  documentFrequencies(column: 'words' | 'grams', terms: string[]): Map<string, number>;
}

export type Column = 'words' | 'grams';

export interface TermLimits {
  /** Distinct terms whose document frequency is looked up (first in query order). */
  lookup: number;
  /** Terms kept in the MATCH expression. */
  keep: number;
  /** Sum of the kept terms' document frequencies (posting entries FTS5 reads); the rarest term is always kept. */
  postings: number;
}

export const QUERY_TERM_LIMITS: Readonly<Record<Column, Readonly<TermLimits>>> = Object.freeze({
  words: Object.freeze({ lookup: 128, keep: 64, postings: 30_000 }),
  grams: Object.freeze({ lookup: 256, keep: 256, postings: 30_000 }),
});

const COMMON_DF = 64;
const CACHE_TTL_MS = 60_000;
const CACHE_MAX_ENTRIES = 50_000;

/**
 * Document frequencies of common terms (df ≥ 64), kept for a minute: a lookup costs as much as
 * the term's posting list, and slightly stale figures only change which terms a long query keeps.
 * Rare and absent terms are cheap to look up and are always read fresh, so new documents are found.
 */
export class FrequencyCache implements FrequencySource {
  private readonly entries = new Map<string, { df: number; at: number }>();

  constructor(private readonly source: FrequencySource, private readonly now: () => number = Date.now) {}

  documentFrequencies(column: Column, terms: string[]): Map<string, number> {
    const now = this.now();
    const found = new Map<string, number>();
    const missing: string[] = [];
    for (const term of terms) {
      const entry = this.entries.get(`${column}:${term}`);
      if (entry && now - entry.at < CACHE_TTL_MS) found.set(term, entry.df);
      else missing.push(term);
    }
    if (missing.length === 0) return found;
    for (const [term, df] of this.source.documentFrequencies(column, missing)) {
      found.set(term, df);
      if (df < COMMON_DF) continue;
      if (this.entries.size >= CACHE_MAX_ENTRIES) this.entries.clear();
      this.entries.set(`${column}:${term}`, { df, at: now });
    }
    return found;
  }
}

const quote = (term: string) => `"${term.replace(/"/g, '""')}"`;

/** The terms of one column a query is matched with (see the module comment), rarest first. */
export function selectTerms(terms: readonly string[], df: Map<string, number>, total: number, limits: TermLimits): string[] {
  const present = terms.filter((term) => (df.get(term) ?? 0) > 0);
  const useful = present.filter((term) => df.get(term)! * 2 <= total);
  const ranked = (useful.length > 0 ? useful : present).sort((a, b) => df.get(a)! - df.get(b)!);
  const kept: string[] = [];
  let postings = 0;
  for (const term of ranked) {
    const cost = df.get(term)!;
    if (kept.length >= limits.keep || (kept.length > 0 && postings + cost > limits.postings)) break;
    kept.push(term);
    postings += cost;
  }
  return kept;
}

/** The MATCH expression, or null when no query term occurs in the index. */
export function buildMatch(
  query: string,
  language: LanguageSetting,
  analyzer: AnalyzerOptions,
  source: FrequencySource,
  total: number,
  limits: Readonly<Record<Column, Readonly<TermLimits>>> = QUERY_TERM_LIMITS,
): string | null {
  const { words, grams } = analyzeQuery(query, language, analyzer);
  const parts: string[] = [];
  for (const [column, terms] of [['words', words], ['grams', grams]] as const) {
    const candidates = terms.slice(0, limits[column].lookup);
    if (candidates.length === 0) continue;
    const kept = selectTerms(candidates, source.documentFrequencies(column, candidates), total, limits[column]);
    if (kept.length > 0) parts.push(`{${column}}: (${kept.map(quote).join(' OR ')})`);
  }
  return parts.length > 0 ? parts.join(' OR ') : null;
}
