/**
 * The FTS5 MATCH expression of one query is bounded: distinct terms only, at most
 * QUERY_TERM_LIMITS per column (rarest first, within a posting budget), terms absent from the
 * index left out. Regression tests for "one long search blocks the event loop".
 */
import { describe, expect, it } from 'vitest';
import { buildMatch, FrequencyCache, QUERY_TERM_LIMITS, selectTerms, type FrequencySource } from '../../src/adapters/search/embedded/lexical-query.js';
import { analyzeQuery, DEFAULT_ANALYZER_OPTIONS } from '../../src/text/analyzer.js';

/** Pseudo-words of letters only (no stopwords, distinct stems): bakedi, bakedo, … */
function pseudoWords(count: number): string[] {
  const syllables = ['ba', 'ke', 'di', 'lo', 'mu', 'ra', 'so', 'ti', 'vu', 'ze', 'ny', 'pa', 'qu', 'wi', 'fo', 'ge'];
  return Array.from({ length: count }, (_, i) => `${syllables[i % 16]}${syllables[(i >> 4) % 16]}${syllables[(i >> 8) % 16]}x`);
}

function queryOf(words: string[], maxLength = 2000): string {
  let query = '';
  for (const word of words) {
    if (query.length + word.length + 1 > maxLength) break;
    query += query ? ` ${word}` : word;
  }
  return query;
}

/** Every term occurs, with the frequency `df(term)`. */
const everywhere = (df: (term: string) => number = () => 1): FrequencySource & { calls: number } => ({
  calls: 0,
  documentFrequencies(_column, terms) {
    this.calls += 1;
    return new Map(terms.map((term) => [term, df(term)]));
  },
});

/** Terms per column of a MATCH expression `{words}: ("a" OR "b") OR {grams}: (…)`. */
function termsOf(match: string | null): { words: string[]; grams: string[] } {
  const out = { words: [] as string[], grams: [] as string[] };
  for (const [, column, list] of (match ?? '').matchAll(/\{(words|grams)\}: \(([^)]*)\)/g)) {
    out[column as 'words' | 'grams'] = [...list!.matchAll(/"((?:[^"]|"")*)"/g)].map((m) => m[1]!);
  }
  return out;
}

describe('lexical query bounds', () => {
  const query = queryOf(pseudoWords(1000));

  it('a 2,000-character query of distinct words keeps at most the capped number of terms per column', () => {
    expect(query.length).toBeGreaterThan(1900);
    const analyzed = analyzeQuery(query, 'de', DEFAULT_ANALYZER_OPTIONS);
    // Without the caps every one of these would be OR-ed into the expression.
    expect(analyzed.words.length).toBeGreaterThan(QUERY_TERM_LIMITS.words.keep * 3);
    expect(analyzed.grams.length).toBeGreaterThan(QUERY_TERM_LIMITS.grams.keep);
    const terms = termsOf(buildMatch(query, 'de', DEFAULT_ANALYZER_OPTIONS, everywhere(), 1_000_000));
    expect(terms.words).toHaveLength(QUERY_TERM_LIMITS.words.keep);
    expect(terms.grams).toHaveLength(QUERY_TERM_LIMITS.grams.keep);
    expect(new Set(terms.words).size).toBe(terms.words.length);
    expect(new Set(terms.grams).size).toBe(terms.grams.length);
  });

  it('looks up the frequencies of at most the capped number of distinct terms', () => {
    const looked: number[] = [];
    const source: FrequencySource = { documentFrequencies: (_c, terms) => { looked.push(terms.length); return new Map(terms.map((t) => [t, 1])); } };
    buildMatch(query, 'auto', DEFAULT_ANALYZER_OPTIONS, source, 1000);
    expect(looked.length).toBeGreaterThan(0);
    expect(Math.max(...looked)).toBeLessThanOrEqual(Math.max(QUERY_TERM_LIMITS.words.lookup, QUERY_TERM_LIMITS.grams.lookup));
  });

  it('a word repeated 500 times is one term', () => {
    const terms = termsOf(buildMatch(Array(500).fill('refunds').join(' '), 'en', DEFAULT_ANALYZER_OPTIONS, everywhere(), 100));
    expect(terms.words).toEqual(['refund']);
  });

  it('keeps the rarest terms, within the posting budget, and leaves out absent and common ones', () => {
    const limits = { lookup: 100, keep: 3, postings: 50 };
    const df = new Map([['a', 40], ['b', 5], ['c', 0], ['d', 1], ['e', 20], ['f', 90], ['g', 2]]);
    expect(selectTerms([...df.keys()], df, 100, limits)).toEqual(['d', 'g', 'b']);
    expect(selectTerms([...df.keys()], df, 100, { ...limits, keep: 10 })).toEqual(['d', 'g', 'b', 'e']);
    // Only common terms: the rarest of them is still searched, even over the budget.
    expect(selectTerms(['f', 'a'], df, 60, { ...limits, postings: 10 })).toEqual(['a']);
    expect(selectTerms(['c'], df, 100, limits)).toEqual([]);
    expect(buildMatch('zzz', 'en', DEFAULT_ANALYZER_OPTIONS, { documentFrequencies: () => new Map() }, 10)).toBeNull();
  });

  it('caches the frequencies of common terms for a minute, never those of rare or absent terms', () => {
    let now = 0;
    const source = everywhere((term) => (term.startsWith('common') ? 500 : 1));
    const cache = new FrequencyCache(source, () => now);
    expect(cache.documentFrequencies('words', ['common1', 'common2']).get('common1')).toBe(500);
    expect(cache.documentFrequencies('words', ['common1', 'common2']).get('common2')).toBe(500);
    expect(source.calls).toBe(1);
    cache.documentFrequencies('words', ['rare']);
    cache.documentFrequencies('words', ['rare']);
    expect(source.calls).toBe(3);
    now = 61_000;
    cache.documentFrequencies('words', ['common1']);
    expect(source.calls).toBe(4);
  });
});
