/** `[n]` citations shared by the generators: n is the 1-based position of a source. */
import type { AnswerSource, Citation } from '../../ports/generator.port.js';

/** The distinct valid citations found in `text`, in order of n. */
export function extractCitations(text: string, sources: AnswerSource[]): Citation[] {
  const seen = new Set<number>();
  for (const match of text.matchAll(/\[(\d{1,3})\]/g)) {
    const n = Number(match[1]);
    if (n >= 1 && n <= sources.length) seen.add(n);
  }
  return [...seen].sort((a, b) => a - b).map((n) => ({ n, chunkId: sources[n - 1]!.chunkId, documentId: sources[n - 1]!.documentId }));
}
