/** A long query's sparse vector for Qdrant holds at most QUERY_MAX_TERMS distinct terms per kind. */
import { describe, expect, it } from 'vitest';
import { QUERY_MAX_TERMS, queryVector } from '../../src/adapters/search/qdrant/qdrant.sparse.js';
import { analyzeQuery } from '../../src/text/analyzer.js';

const syllables = ['ba', 'ke', 'di', 'lo', 'mu', 'ra', 'so', 'ti', 'vu', 'ze', 'ny', 'pa', 'qu', 'wi', 'fo', 'ge'];
const query = Array.from({ length: 600 }, (_, i) => `${syllables[i % 16]}${syllables[(i >> 4) % 16]}${syllables[(i >> 8) % 16]}x`).join(' ').slice(0, 2000);

describe('Qdrant query vector bounds', () => {
  it('a 2,000-character German query sends at most the capped words and n-grams', () => {
    const analyzed = analyzeQuery(query, 'de');
    expect(analyzed.words.length).toBeGreaterThan(QUERY_MAX_TERMS.words);
    expect(analyzed.grams.length).toBeGreaterThan(QUERY_MAX_TERMS.grams);
    const vector = queryVector(query, 'de');
    const words = vector.values.filter((v) => v === 1).length;
    expect(words).toBeLessThanOrEqual(QUERY_MAX_TERMS.words);
    expect(vector.indices.length).toBeLessThanOrEqual(QUERY_MAX_TERMS.words + QUERY_MAX_TERMS.grams);
    expect(vector.indices.length).toBeGreaterThan(QUERY_MAX_TERMS.words);
  });

  it('a word repeated 500 times is one term', () => {
    expect(queryVector(Array(500).fill('refunds').join(' '), 'en').indices).toHaveLength(1);
  });
});
