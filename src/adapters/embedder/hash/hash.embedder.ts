/**
 * The built-in `hash` embedder: feature hashing of stemmed words and character n-grams
 * (with word-boundary marks) into a fixed number of signed buckets, sub-linear term
 * frequency, L2-normalised. Deterministic, no weights, any language; a lexical-ish vector
 * that helps hybrid search with spelling variants and partial words.
 */
import type { EmbedParams, Embedder } from '../../../ports/embedder.port.js';
import { fnv1a, l2Normalize } from '../../../platform/hashing.js';
import { analyze } from '../../../text/analyzer.js';
import type { LanguageSetting } from '../../../text/language.js';

export interface HashEmbedderConfig {
  /** Vector length (default 384). */
  dimension: number;
  /** Character n-gram lengths (default [3, 4]). */
  ngrams: number[];
  /** Weight of a word feature relative to one n-gram (default 2). */
  wordWeight: number;
  /** Analysis language for the word features (default `auto`). */
  language: LanguageSetting;
}

export const DEFAULT_HASH_EMBEDDER_CONFIG: Readonly<HashEmbedderConfig> = Object.freeze({
  dimension: 384,
  ngrams: [3, 4],
  wordWeight: 2,
  language: 'auto',
});


/** Embeds one text into `dimension` buckets (exported for tests and benchmarks). */
export function hashEmbed(text: string, config: HashEmbedderConfig): Float32Array {
  const counts = new Map<string, number>();
  const analyzed = analyze(text, config.language, { stopwords: 'core', gramSize: 0, gramLanguages: [], maxTokenLength: 40 });
  for (const word of analyzed.words) counts.set(`w:${word}`, (counts.get(`w:${word}`) ?? 0) + config.wordWeight);
  for (const word of analyzed.words) {
    const marked = `<${word}>`;
    for (const n of config.ngrams) {
      for (let i = 0; i + n <= marked.length; i += 1) {
        const gram = `g:${marked.slice(i, i + n)}`;
        counts.set(gram, (counts.get(gram) ?? 0) + 1);
      }
    }
  }
  const vector = new Float32Array(config.dimension);
  for (const [feature, count] of counts) {
    const hash = fnv1a(feature);
    const sign = (hash & 0x80000000) === 0 ? 1 : -1;
    vector[hash % config.dimension]! += sign * (1 + Math.log(count));
  }
  return l2Normalize(vector);
}


/** Creates the `hash` embedder. */
export function createHashEmbedder(config: Partial<HashEmbedderConfig> = {}): Embedder {
  const resolved: HashEmbedderConfig = { ...DEFAULT_HASH_EMBEDDER_CONFIG, ...config };
  if (!Number.isInteger(resolved.dimension) || resolved.dimension < 8) throw new RangeError('hash embedder: dimension must be an integer ≥ 8');
  return {
    kind: 'hash',
    model: `hash-v1-${resolved.ngrams.join('')}-${resolved.dimension}`,
    dimension: resolved.dimension,
    async init() {},
    async close() {},
    async embed({ texts }: EmbedParams) {
      return texts.map((text) => hashEmbed(text, resolved));
    },
  };
}
