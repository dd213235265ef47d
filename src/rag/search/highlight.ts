/** Marks query terms in a snippet of a hit's text: `<mark>term</mark>`, matched by stem. */
import { stem } from '../text/stemmer.js';
import { tokenize } from '../text/tokenizer.js';
import { resolveLanguage, type LanguageSetting } from '../text/language.js';

const SNIPPET = 240;

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export function highlight(text: string, query: string, setting: LanguageSetting): string {
  const language = resolveLanguage(setting, `${query} ${text}`);
  const wanted = new Set(tokenize(query).map((t) => stem(t, language)));
  const words = [...text.matchAll(/[\p{L}\p{N}]+/gu)];
  const hits = words.filter((m) => wanted.has(stem(m[0].toLowerCase(), language)));
  const first = hits[0]?.index ?? 0;
  const start = Math.max(0, first - SNIPPET / 3);
  const end = Math.min(text.length, start + SNIPPET);
  let out = '';
  let cursor = start;
  for (const m of hits) {
    const at = m.index!;
    if (at < start || at + m[0].length > end) continue;
    out += `${escapeHtml(text.slice(cursor, at))}<mark>${escapeHtml(m[0])}</mark>`;
    cursor = at + m[0].length;
  }
  out += escapeHtml(text.slice(cursor, end));
  return `${start > 0 ? '…' : ''}${out.trim()}${end < text.length ? '…' : ''}`;
}
