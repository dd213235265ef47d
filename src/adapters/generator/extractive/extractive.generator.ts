/**
 * `extractive` generator (default, no model): picks the sentences of the retrieved chunks that
 * share the most query terms (stemmed, auto language; ties to better-ranked chunks), keeps up to
 * `maxSentences` within `maxChars`, and cites each with `[n]`, n = the chunk's position + 1.
 */
import type { Answer, AnswerSource, AnswerStreamEvent, GenerateParams, Generator } from '../../../ports/generator.port.js';
import { analyze, analyzeQuery } from '../../../text/analyzer.js';
import { sentences } from '../../../text/chunker.js';
import { extractCitations } from '../citations.js';

export interface ExtractiveGeneratorConfig {
  maxSentences: number;
  maxChars: number;
  /** Text when no source shares a term with the query. */
  noAnswer: string;
}

export const DEFAULT_EXTRACTIVE_CONFIG: Readonly<ExtractiveGeneratorConfig> = Object.freeze({
  maxSentences: 3,
  maxChars: 600,
  noAnswer: 'No answer was found in the indexed documents.',
});

interface Candidate {
  text: string;
  n: number;
  score: number;
  order: number;
}

const ANALYSIS = { stopwords: 'core', gramSize: 0, gramLanguages: [], maxTokenLength: 40 } as const;

/** Scores every sentence: distinct query terms matched, damped by source rank. */
function candidates(query: string, sources: AnswerSource[]): Candidate[] {
  const terms = new Set(analyzeQuery(query, 'auto', ANALYSIS).words);
  const found: Candidate[] = [];
  sources.forEach((source, i) => {
    sentences(source.text.replace(/\s*\n\s*/g, ' ')).forEach((text, position) => {
      const words = new Set(analyze(text, 'auto', ANALYSIS).words);
      const overlap = [...terms].filter((term) => words.has(term)).length;
      if (overlap > 0) found.push({ text, n: i + 1, score: overlap / (1 + 0.15 * i), order: i * 1000 + position });
    });
  });
  return found;
}

/** Builds the answer text from the best sentences, in source order, each with its citation. */
export function extractAnswer(query: string, sources: AnswerSource[], config: ExtractiveGeneratorConfig = DEFAULT_EXTRACTIVE_CONFIG): Answer {
  const ranked = candidates(query, sources).sort((a, b) => b.score - a.score || a.order - b.order);
  const chosen: Candidate[] = [];
  let length = 0;
  for (const candidate of ranked) {
    if (chosen.length >= config.maxSentences) break;
    if (chosen.some((other) => other.text === candidate.text)) continue;
    if (chosen.length > 0 && length + candidate.text.length > config.maxChars) continue;
    chosen.push(candidate);
    length += candidate.text.length;
  }
  const text = chosen.length === 0 ? config.noAnswer : chosen.sort((a, b) => a.order - b.order).map((c) => `${c.text} [${c.n}]`).join(' ');
  return { text, citations: extractCitations(text, sources), generator: 'extractive', model: 'extractive-v1' };
}

export function createExtractiveGenerator(config: Partial<ExtractiveGeneratorConfig> = {}): Generator {
  const resolved = { ...DEFAULT_EXTRACTIVE_CONFIG, ...config };
  return {
    kind: 'extractive',
    model: 'extractive-v1',
    async init() {},
    async close() {},
    async generate({ query, sources }: GenerateParams) {
      return extractAnswer(query, sources, resolved);
    },
    async *stream({ query, sources }: GenerateParams): AsyncIterable<AnswerStreamEvent> {
      const answer = extractAnswer(query, sources, resolved);
      for (const piece of answer.text.split(/(?<=\]) /)) yield { type: 'delta', text: piece };
      yield { type: 'done', answer };
    },
  };
}
