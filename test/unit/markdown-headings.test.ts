import { describe, expect, it } from 'vitest';
import { chunkText } from '../../src/text/chunker.js';

const markdown = { size: 1200, overlap: 150, markdown: true };

describe('markdown headings in the chunker', () => {
  it('reads ATX headings with closing hashes, and not 7 hashes or a missing space', () => {
    const chunks = chunkText('# Title ##\n\nbody\n\n## Sub#\n\nmore\n\n####### seven\n\n#nospace', markdown);
    expect(chunks.map((c) => c.heading)).toEqual(['Title', 'Title > Sub']);
    expect(chunks[1]!.text).toContain('####### seven');
  });

  // The heading regex this replaces backtracked polynomially: 5,000 spaces took 229 s.
  it.each([
    ['spaces', `# a${' '.repeat(200_000)}b\n\nbody`],
    ['hashes', `# a${'#'.repeat(200_000)}b\n\nbody`],
    ['space-hash pairs', `# a${' #'.repeat(100_000)}b\n\nbody`],
    ['tabs', `## x${'\t'.repeat(200_000)}\n\nbody`],
  ])('handles a heading line of 200 KB of %s, cutting the heading to 200 characters', (_name, text) => {
    const chunks = chunkText(text, markdown);
    expect(chunks).toHaveLength(1);
    expect(chunks[0]!.heading!.length).toBeLessThanOrEqual(200);
    expect(chunks[0]!.text.endsWith('body')).toBe(true);
  });
});
