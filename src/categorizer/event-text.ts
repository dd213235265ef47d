/**
 * The text an event is classified by: its type's words and catalog description, and the words of
 * its string data fields (query text, message, title, page path…). Bounded, and stripped of what
 * says nothing about intent but makes every event's text unique: ids (fields named `…Id`, tokens
 * with digits), e-mail addresses, URL schemes and hosts. Equal texts share one embedding and
 * one result (cached).
 */

export const TEXT_LIMITS = Object.freeze({
  /** Characters read of one string value. */
  valueChars: 200,
  /** Characters of an event's data text. */
  dataChars: 600,
  /** String values read of one event. */
  values: 24,
  /** Nesting levels of objects and arrays read below `data`. */
  depth: 3,
  /** Items read of one array. */
  arrayItems: 10,
});

const ID_KEY = /(^id$|Ids?$|_ids?$)/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const SEPARATORS = /[\s/\\?&=#_.:,;|()[\]{}"'`+*<>!~^$%@]+/u;
const DIGIT = /\p{N}/u;

/** `query.executed` → `query executed`. */
export function typeWords(type: string): string {
  return type.split(/[._-]+/).filter(Boolean).join(' ');
}

/** The type's words and its catalog description. */
export function typeText(type: string, description: string | null): string {
  const words = typeWords(type);
  return description ? `${words}. ${description}` : words;
}

/** A value's words without tokens that carry digits (ids, sizes, dates) or single letters. */
function words(value: string): string {
  return value.split(SEPARATORS).filter((t) => t.length > 1 && !DIGIT.test(t)).join(' ');
}

/** A URL's host (and scheme): says nothing about the person's intent. */
const URL_HOST = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i;

function valueWords(value: string): string {
  const head = value.slice(0, TEXT_LIMITS.valueChars).trim();
  if (EMAIL.test(head)) return '';
  return words(head.replace(URL_HOST, ''));
}

/** The words of an event's string data fields, in field order, within TEXT_LIMITS. */
export function dataText(data: unknown): string {
  const parts: string[] = [];
  let length = 0;
  let values = 0;
  const visit = (value: unknown, depth: number): void => {
    if (values >= TEXT_LIMITS.values || length >= TEXT_LIMITS.dataChars) return;
    if (typeof value === 'string') {
      values += 1;
      const text = valueWords(value);
      if (text) { parts.push(text); length += text.length + 1; }
      return;
    }
    if (depth >= TEXT_LIMITS.depth || value === null || typeof value !== 'object') return;
    if (Array.isArray(value)) {
      for (const item of value.slice(0, TEXT_LIMITS.arrayItems)) visit(item, depth + 1);
      return;
    }
    for (const [key, item] of Object.entries(value)) if (!ID_KEY.test(key)) visit(item, depth + 1);
  };
  visit(data, 0);
  return parts.join(' ').slice(0, TEXT_LIMITS.dataChars).trim();
}

/** The whole text as one line (what the LLM classifier reads). */
export function eventText(type: string, description: string | null, data: string): string {
  const head = typeText(type, description);
  return data ? `${head}: ${data}` : head;
}
