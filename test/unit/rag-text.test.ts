import { describe, expect, it } from 'vitest';
import { analyze, analyzeQuery, pushGrams } from '../../src/text/analyzer.js';
import { chunkText, sentences } from '../../src/text/chunker.js';
import { detectLanguage } from '../../src/text/language.js';
import { stem } from '../../src/text/stemmer.js';
import { tokenize } from '../../src/text/tokenizer.js';

describe('tokenize', () => {
  it('lower-cases, keeps letters and digits, joins apostrophes and splits hyphens', () => {
    expect(tokenize("Don't stop: Größe 42-inch ÄRZTE")).toEqual(['dont', 'stop', 'größe', '42', 'inch', 'ärzte']);
  });
});

describe('analyze', () => {
  it('stems English and drops stopwords', () => {
    expect(analyze('The runners were running in the parks', 'en').words).toEqual(['runner', 'run', 'park']);
    const core = { stopwords: 'core', gramSize: 0, gramLanguages: [], maxTokenLength: 40 } as const;
    expect(analyze('The runners were running in the parks', 'en', core).words).toEqual(['runner', 'were', 'run', 'park']);
  });
  it('stems German and adds 4-grams so compounds share terms with their parts', () => {
    const compound = analyze('Krankenhäuser', 'de');
    expect(compound.words).toEqual([stem('krankenhäuser', 'de')]);
    const part = analyze('Häuser', 'de');
    expect(part.grams.some((gram) => compound.grams.includes(gram))).toBe(true);
    expect(analyze('Krankenhäuser', 'en').grams).toEqual([]);
  });
  it('detects the language for auto and unites both analyses for queries', () => {
    expect(analyze('Die Katze sitzt auf der Matte und ist nicht müde', 'auto').language).toBe('de');
    expect(analyze('The cat is sitting on the mat and it is not tired', 'auto').language).toBe('en');
    const query = analyzeQuery('Häuser', 'auto');
    expect(query.words).toEqual(expect.arrayContaining([stem('häuser', 'de'), stem('häuser', 'en')]));
    expect(query.grams.length).toBeGreaterThan(0);
  });
  it('makes n-grams, a short token being its own gram', () => {
    const grams: string[] = [];
    pushGrams('haus', 4, grams);
    pushGrams('häuser', 4, grams);
    expect(grams).toEqual(['haus', 'häus', 'äuse', 'user']);
  });
  it('detects English for text without stopwords', () => {
    expect(detectLanguage('')).toBe('en');
  });
});

describe('chunkText', () => {
  it('keeps a short text whole and drops blank text', () => {
    expect(chunkText('One sentence.', { size: 100, overlap: 10, markdown: false })).toEqual([{ index: 0, text: 'One sentence.', heading: null }]);
    expect(chunkText('  \n ', { size: 100, overlap: 10, markdown: true })).toEqual([]);
  });
  it('respects the size and overlaps by whole sentences', () => {
    const text = Array.from({ length: 20 }, (_, i) => `Sentence number ${i} is here.`).join(' ');
    const chunks = chunkText(text, { size: 120, overlap: 40, markdown: false });
    expect(chunks.length).toBeGreaterThan(4);
    for (const chunk of chunks) expect(chunk.text.length).toBeLessThanOrEqual(120);
    const last = sentences(chunks[0]!.text).at(-1)!;
    expect(chunks[1]!.text.startsWith(last)).toBe(true);
    expect(chunks.map((chunk) => chunk.index)).toEqual(chunks.map((_, i) => i));
  });
  it('splits markdown at headings and prefixes the heading path', () => {
    const markdown = '# Guide\nIntro text.\n\n## Install\nRun npm install.\n\n```sh\n# not a heading\nnpm i\n```\n\n## Use\nCall it.';
    const chunks = chunkText(markdown, { size: 200, overlap: 0, markdown: true });
    expect(chunks.map((chunk) => chunk.heading)).toEqual(['Guide', 'Guide > Install', 'Guide > Use']);
    expect(chunks[1]!.text).toBe('Guide > Install\nRun npm install.\n```sh\n# not a heading\nnpm i\n```');
  });
  it('hard-splits a sentence longer than the size at word boundaries', () => {
    const chunks = chunkText('word '.repeat(100).trim(), { size: 60, overlap: 0, markdown: false });
    expect(chunks.every((chunk) => chunk.text.length <= 60)).toBe(true);
    expect(chunks.map((chunk) => chunk.text).join(' ')).toBe('word '.repeat(100).trim());
  });
});
