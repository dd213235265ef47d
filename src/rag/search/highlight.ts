/** Marks query terms in a snippet of a hit's text: `<mark>term</mark>`, matched by stem. */
import { stem } from '../../text/stemmer.js';
import { tokenize } from '../../text/tokenizer.js';
import { resolveLanguage, type Language, type LanguageSetting } from '../../text/language.js';

const SNIPPET = 240;
const WORD = /[\p{L}\p{N}]+/gu;

/** Stems of words seen in hits, per language: the same words come back query after query. */
const stemCache = new Map<string, string>();
const STEM_CACHE_MAX = 200_000;

function cachedStem(word: string, language: Language): string {
  const key = `${language}:${word}`;
  let stemmed = stemCache.get(key);
  if (stemmed === undefined) {
    if (stemCache.size >= STEM_CACHE_MAX) stemCache.clear();
    stemmed = stem(word, language);
    stemCache.set(key, stemmed);
  }
  return stemmed;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Start and length of each word of `text` whose stem is wanted, from `from` up to `to`. */
function matches(text: string, wanted: Set<string>, language: Language, from: number, to: number, limit = Infinity): Array<[number, number]> {
  const found: Array<[number, number]> = [];
  const words = new RegExp(WORD.source, WORD.flags);
  words.lastIndex = from;
  for (let m = words.exec(text); m && m.index < to && found.length < limit; m = words.exec(text)) {
    if (wanted.has(cachedStem(m[0].toLowerCase(), language))) found.push([m.index, m[0].length]);
  }
  return found;
}

/** The stems of the last query, per language: every hit of one search highlights the same query. */
let lastWanted: { key: string; stems: Set<string> } | undefined;

function wantedStems(query: string, language: Language): Set<string> {
  const key = `${language}\u0000${query}`;
  if (lastWanted?.key !== key) lastWanted = { key, stems: new Set(tokenize(query).map((t) => cachedStem(t, language))) };
  return lastWanted.stems;
}

export function highlight(text: string, query: string, setting: LanguageSetting): string {
  const language = resolveLanguage(setting, `${query.slice(0, 500)} ${text.slice(0, 500)}`);
  const wanted = wantedStems(query, language);
  const first = matches(text, wanted, language, 0, text.length, 1).at(0)?.[0] ?? 0;
  const start = Math.max(0, first - SNIPPET / 3);
  const end = Math.min(text.length, start + SNIPPET);
  let out = '';
  let cursor = start;
  for (const [at, length] of matches(text, wanted, language, start, end)) {
    if (at + length > end) break;
    out += `${escapeHtml(text.slice(cursor, at))}<mark>${escapeHtml(text.slice(at, at + length))}</mark>`;
    cursor = at + length;
  }
  out += escapeHtml(text.slice(cursor, end));
  return `${start > 0 ? '…' : ''}${out.trim()}${end < text.length ? '…' : ''}`;
}
