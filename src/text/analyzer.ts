/**
 * Text analysis for lexical search: tokenise → drop stopwords → Snowball stem (the `words`
 * terms), plus, for languages that build compounds (German by default), character n-grams of
 * every kept token (the `grams` terms), so a query matches inside compounds (`Krankenhaus` ~
 * `Haus`). Measured on SciFact train (English), 4-grams did not help (0.699 words only; 0.690
 * with grams at bm25 weight 0.3) and made queries 3x slower, so English gets none by default.
 */
import { resolveLanguage, LANGUAGES, type Language, type LanguageSetting } from './language.js';
import { stem } from './stemmer.js';
import { isStopword, type StopwordList } from './stopwords.js';
import { tokenize } from './tokenizer.js';

export interface AnalyzerOptions {
  stopwords: StopwordList;
  /** Character n-gram length for the `grams` terms; 0 disables them. */
  gramSize: number;
  /** Languages whose tokens also get n-grams. */
  gramLanguages: readonly Language[];
  /** Tokens longer than this are skipped (hashes, base64). */
  maxTokenLength: number;
}

/** Defaults chosen on SciFact train (nDCG@10, hybrid 0.05): stopwords `full` 0.703 vs `core` 0.701. */
export const DEFAULT_ANALYZER_OPTIONS: Readonly<AnalyzerOptions> = Object.freeze({
  stopwords: 'full',
  gramSize: 4,
  gramLanguages: ['de'] as Language[],
  maxTokenLength: 40,
});

export interface AnalyzedText {
  language: Language;
  /** Stemmed, stop-filtered words, in text order (repeats kept: they are term frequencies). */
  words: string[];
  /** Character n-grams of the kept tokens, in order. */
  grams: string[];
}

/** Analyses a text in one language (for `auto`, the detected one). */
export function analyze(text: string, setting: LanguageSetting, options: AnalyzerOptions = DEFAULT_ANALYZER_OPTIONS): AnalyzedText {
  const language = resolveLanguage(setting, text);
  const words: string[] = [];
  const grams: string[] = [];
  const gramSize = options.gramLanguages.includes(language) ? options.gramSize : 0;
  for (const token of tokenize(text)) {
    if (token.length > options.maxTokenLength || isStopword(token, language, options.stopwords)) continue;
    words.push(stem(token, language));
    if (gramSize > 0) pushGrams(token, gramSize, grams);
  }
  return { language, words, grams };
}

/**
 * Query terms, deduplicated. For `auto` the query is analysed in every language and the terms
 * are united, so a short query matches documents whatever language they were detected as.
 */
export function analyzeQuery(
  text: string,
  setting: LanguageSetting,
  options: AnalyzerOptions = DEFAULT_ANALYZER_OPTIONS,
): { words: string[]; grams: string[] } {
  const languages: Language[] = setting === 'auto' ? [...LANGUAGES] : [setting];
  const words = new Set<string>();
  const grams = new Set<string>();
  for (const language of languages) {
    const analyzed = analyze(text, language, options);
    for (const word of analyzed.words) words.add(word);
    for (const gram of analyzed.grams) grams.add(gram);
  }
  return { words: [...words], grams: [...grams] };
}

/** Character n-grams of a token; a token shorter than n is its own gram. */
export function pushGrams(token: string, size: number, into: string[]): void {
  const chars = Array.from(token);
  if (chars.length <= size) {
    into.push(token);
    return;
  }
  for (let i = 0; i + size <= chars.length; i += 1) into.push(chars.slice(i, i + size).join(''));
}
