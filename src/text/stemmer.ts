/** Snowball stemming (English, German) with a per-language memo of recent stems. */
import snowball from 'snowball-stemmers';
import type { Language } from './language.js';

const ALGORITHM: Record<Language, string> = { en: 'english', de: 'german' };
const MEMO_LIMIT = 200_000;

const stemmers = new Map<Language, { stem(term: string): string }>();
const memos = new Map<Language, Map<string, string>>();

/** The Snowball stem of a lower-case token. */
export function stem(token: string, language: Language): string {
  let memo = memos.get(language);
  if (!memo) memos.set(language, (memo = new Map()));
  const known = memo.get(token);
  if (known !== undefined) return known;
  let stemmer = stemmers.get(language);
  if (!stemmer) stemmers.set(language, (stemmer = snowball.newStemmer(ALGORITHM[language])));
  const stemmed = stemmer.stem(token);
  if (memo.size >= MEMO_LIMIT) memo.clear();
  memo.set(token, stemmed);
  return stemmed;
}
