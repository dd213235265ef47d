/** Turns a document's fields into searchable text, metadata and a content hash, per its collection. */
import { createHash } from 'node:crypto';
import type { Metadata, MetadataValue } from '../../ports/search-index.port.js';
import type { CollectionSettings, MetadataType } from '../collections/collection.schemas.js';

/** Reads `a.b.c` from nested objects. */
export function readPath(fields: Record<string, unknown>, path: string): unknown {
  let value: unknown = fields;
  for (const part of path.split('.')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

/** Nested values deeper than this add no text (events are bounded by REQUEST_MAX_DEPTH anyway). */
const TEXT_MAX_DEPTH = 64;

/** Text of a field value: arrays joined with `, `, objects' values with spaces; linear in its size, recursion capped at TEXT_MAX_DEPTH. */
function asText(value: unknown, depth = 0): string {
  if (value === undefined || value === null) return '';
  if (typeof value !== 'object') return String(value);
  if (depth >= TEXT_MAX_DEPTH) return '';
  const items = Array.isArray(value) ? value : Object.values(value as object);
  const parts: string[] = [];
  for (const item of items) {
    const text = asText(item, depth + 1);
    if (text) parts.push(text);
  }
  return parts.join(Array.isArray(value) ? ', ' : ' ');
}

function json(value: unknown): string | undefined {
  try {
    return JSON.stringify(value);
  } catch {
    return undefined; // too deep or cyclic: not a metadata value
  }
}

function coerce(value: unknown, type: MetadataType): MetadataValue | undefined {
  if (value === undefined || value === null) return undefined;
  switch (type) {
    case 'number': { const n = typeof value === 'number' ? value : Number(value); return Number.isFinite(n) ? n : undefined; }
    case 'boolean': return typeof value === 'boolean' ? value : value === 'true' ? true : value === 'false' ? false : undefined;
    case 'string[]': return (Array.isArray(value) ? value : [value]).map((item) => (typeof item === 'object' && item !== null ? json(item) ?? '' : String(item)));
    default: return typeof value === 'object' ? json(value) : String(value);
  }
}

export interface DocumentContent {
  title: string;
  /** Title first, then each text field's value, one per paragraph. */
  text: string;
  metadata: Metadata;
  contentHash: string;
}

export function documentContent(settings: CollectionSettings, fields: Record<string, unknown>): DocumentContent {
  const title = settings.titleField ? asText(readPath(fields, settings.titleField)).trim() : '';
  const parts = settings.textFields
    .filter((f) => f !== settings.titleField)
    .map((f) => asText(readPath(fields, f)).trim())
    .filter(Boolean);
  const text = [title, ...parts].filter(Boolean).join('\n\n');
  const metadata: Metadata = {};
  for (const [name, type] of Object.entries(settings.metadata)) {
    const value = coerce(readPath(fields, name), type);
    if (value !== undefined) metadata[name] = value;
  }
  const contentHash = createHash('sha256').update(JSON.stringify([text, metadata, settings.chunking, settings.language])).digest('hex');
  return { title, text, metadata, contentHash };
}
