/**
 * Tokeniser: NFKC, lower case, runs of letters and digits (Unicode-aware). Apostrophes inside
 * words are dropped (`don't` → `dont`), hyphenated words split into their parts.
 */
const WORD = /[\p{L}\p{N}]+(?:['’][\p{L}]+)*/gu;

/** Lower-cased word tokens in order. */
export function tokenize(text: string): string[] {
  const normalized = text.normalize('NFKC').toLowerCase();
  const tokens: string[] = [];
  for (const match of normalized.matchAll(WORD)) tokens.push(match[0].replace(/['’]/g, ''));
  return tokens;
}
