/**
 * BM25 as Qdrant sparse vectors: the project's analyser (tokenise, stopwords, Snowball stem,
 * German n-grams) gives the terms; each term is hashed to a 32-bit index. A document's value per
 * term is BM25's saturated term frequency with length normalisation against a fixed average
 * length (as fastembed's Bm25 does); the collection's sparse vector uses Qdrant's `idf` modifier,
 * so the server multiplies in the inverse document frequency. A query term has the value 1
 * (n-gram terms `gramWeight`), so the dot product is the BM25 score.
 */
import { createHash } from 'node:crypto';
import { fnv1a } from '../../../platform/hashing.js';
import { analyze, analyzeQuery } from '../../../text/analyzer.js';
import type { LanguageSetting } from '../../../text/language.js';

export interface SparseVector {
  indices: number[];
  values: number[];
}

export interface Bm25Settings {
  k1: number;
  b: number;
  /** Assumed average chunk length in terms. */
  avgLength: number;
  /** Weight of character n-gram terms relative to word terms. */
  gramWeight: number;
}

export const DEFAULT_BM25: Readonly<Bm25Settings> = Object.freeze({ k1: 1.2, b: 0.75, avgLength: 256, gramWeight: 0.3 });

/** FNV-1a, 32 bits; words and grams hash in separate spaces (`w:`/`g:`). */
export function termIndex(term: string): number {
  return fnv1a(term);
}

function toVector(weights: Map<number, number>): SparseVector {
  const entries = [...weights].sort(([a], [b]) => a - b);
  return { indices: entries.map(([index]) => index), values: entries.map(([, value]) => value) };
}

/** The sparse vector of a chunk's text. */
export function documentVector(text: string, language: LanguageSetting, settings: Bm25Settings = DEFAULT_BM25): SparseVector {
  const { words, grams } = analyze(text, language);
  const length = words.length;
  const weights = new Map<number, number>();
  const add = (terms: string[], prefix: string, weight: number) => {
    const counts = new Map<string, number>();
    for (const term of terms) counts.set(term, (counts.get(term) ?? 0) + 1);
    for (const [term, tf] of counts) {
      const saturated = (tf * (settings.k1 + 1)) / (tf + settings.k1 * (1 - settings.b + (settings.b * length) / settings.avgLength));
      const index = termIndex(prefix + term);
      weights.set(index, (weights.get(index) ?? 0) + weight * saturated);
    }
  };
  add(words, 'w:', 1);
  add(grams, 'g:', 1);
  return toVector(weights);
}

/**
 * Terms of one query sent to Qdrant, the first distinct ones in query order (Qdrant applies the
 * idf, so rarity is not known here): bounds the server's work for a long query, as the embedded
 * index does.
 */
export const QUERY_MAX_TERMS = Object.freeze({ words: 64, grams: 256 });

/** The sparse vector of a query (empty when only stopwords remain). */
export function queryVector(query: string, language: LanguageSetting, settings: Bm25Settings = DEFAULT_BM25): SparseVector {
  const { words, grams } = analyzeQuery(query, language);
  const weights = new Map<number, number>();
  for (const word of words.slice(0, QUERY_MAX_TERMS.words)) weights.set(termIndex(`w:${word}`), 1);
  for (const gram of grams.slice(0, QUERY_MAX_TERMS.grams)) weights.set(termIndex(`g:${gram}`), settings.gramWeight);
  return toVector(weights);
}

/** A stable UUID for a chunk id (Qdrant point ids are integers or UUIDs). */
export function pointId(chunkId: string): string {
  const hex = createHash('sha1').update(chunkId).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${((parseInt(hex.slice(16, 18), 16) & 0x3f) | 0x80).toString(16)}${hex.slice(18, 20)}-${hex.slice(20, 32)}`;
}
