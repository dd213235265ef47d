import { describe, expect, it } from 'vitest';
import { highlight } from '../../src/rag/search/highlight.js';

describe('highlight', () => {
  it('marks words whose stem matches a query term, HTML-escaped', () => {
    expect(highlight('Drilling <b>holes</b> & drills', 'drill hole', 'en')).toBe('<mark>Drilling</mark> &lt;b&gt;<mark>holes</mark>&lt;/b&gt; &amp; <mark>drills</mark>');
  });

  it('cuts a snippet around the first match of a long text', () => {
    const text = `${'filler '.repeat(200)}the warranty lasts three years${' tail'.repeat(200)}`;
    const out = highlight(text, 'warranty', 'en');
    expect(out.startsWith('…')).toBe(true);
    expect(out.endsWith('…')).toBe(true);
    expect(out).toContain('<mark>warranty</mark> lasts three years');
    expect(out.length).toBeLessThan(300);
  });

  it('matches German inflections', () => {
    expect(highlight('Die Akkuschrauber sind leicht', 'Akkuschraubers', 'de')).toContain('<mark>Akkuschrauber</mark>');
  });

  it('returns the start of the text when nothing matches', () => {
    expect(highlight('Nothing to see here', 'zebra', 'en')).toBe('Nothing to see here');
  });

  it('highlights each query with its own terms, one after another and for a 2,000-character query', () => {
    expect(highlight('red and blue', 'red', 'en')).toBe('<mark>red</mark> and blue');
    expect(highlight('red and blue', 'blue', 'en')).toBe('red and <mark>blue</mark>');
    expect(highlight('red and blue', 'blue', 'de')).toBe('red and <mark>blue</mark>');
    const long = `${Array.from({ length: 300 }, (_, i) => `word${i}`).join(' ')} blue`.slice(-2000);
    expect(long.length).toBe(2000);
    expect(highlight('red and blue', long, 'en')).toBe('red and <mark>blue</mark>');
  });
});
