/**
 * Analysis languages and a small language detector for `auto`: the share of a text's tokens
 * that are English vs German stopwords decides (ties and unknown text fall back to English).
 */
import { isStopword } from './stopwords.js';
import { tokenize } from './tokenizer.js';

export type Language = 'en' | 'de';
/** A collection's language setting: fixed, or detected per chunk (`auto`). */
export type LanguageSetting = Language | 'auto';

export const LANGUAGES: readonly Language[] = ['en', 'de'];

/** Detects English or German from stopword hits and German-only letters. */
export function detectLanguage(text: string): Language {
  let en = 0;
  let de = 0;
  for (const token of tokenize(text).slice(0, 400)) {
    if (isStopword(token, 'en', 'core')) en += 1;
    if (isStopword(token, 'de', 'core')) de += 1;
    if (/[äöüß]/.test(token)) de += 0.5;
  }
  return de > en ? 'de' : 'en';
}

/** The fixed language, or the detected one for `auto`. */
export function resolveLanguage(setting: LanguageSetting, text: string): Language {
  return setting === 'auto' ? detectLanguage(text) : setting;
}
