import { describe, expect, it } from 'vitest';
import { documentContent } from '../../src/rag/documents/document-text.js';
import type { CollectionSettings } from '../../src/rag/collections/collection.schemas.js';

const settings = {
  textFields: ['title', 'body'], titleField: 'title', metadata: { tags: 'string[]', extra: 'string' },
  chunking: { size: 1200, overlap: 150, markdown: true }, language: 'auto', sources: [],
} as unknown as CollectionSettings;

function nested(depth: number, leaf: unknown): unknown {
  let value = leaf;
  for (let i = 0; i < depth; i += 1) value = [value];
  return value;
}

describe('documentContent', () => {
  it('joins arrays and objects into text', () => {
    const content = documentContent(settings, { title: 'T', body: { a: 'one', b: ['two', 'three'] }, tags: ['x', 'y'] });
    expect(content.text).toBe('T\n\none two, three');
    expect(content.metadata).toEqual({ tags: ['x', 'y'] });
  });

  // Events stored before the request depth limit existed may be nested arbitrarily deep; indexing
  // them (on replay) must not overflow the stack.
  it('survives values nested 100,000 deep in text and metadata fields', () => {
    const deep = nested(100_000, 'bottom');
    const content = documentContent(settings, { title: 'Deep', body: ['top', deep], tags: [deep], extra: deep });
    expect(content.text).toBe('Deep\n\ntop');
    expect(content.metadata.tags).toEqual(['']);
    expect(content.metadata.extra).toBeUndefined();
  });
});
