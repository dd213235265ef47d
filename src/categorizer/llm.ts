/**
 * The LLM classifier's prompt and the strict reading of its answer. Several events go in one
 * prompt, as the numbered sources of the generator port; the answer must be one JSON object
 * `{"1": {"label": "…", "confidence": 0.8}, …}`. An entry that is missing, names no label of
 * the tenant (or `unknown`) or has no confidence in [0, 1] counts as no answer for that event
 * (the embedding result stands in); so does an answer that is not such an object at all.
 */
import type { AnswerSource } from '../ports/generator.port.js';
import { descriptionLines, UNKNOWN, type Label } from './settings.js';

/** The first words of every classification prompt (the local fake provider recognises them). */
export const CLASSIFY_PROMPT_START = 'Classify each numbered source: each is one event of an application';

/** Characters of a label's description put in the prompt. */
const PROMPT_DESCRIPTION_CHARS = 300;
/** Longest answer read (a longer one is not a classification). */
const MAX_ANSWER_CHARS = 64 * 1024;

/** The question: the task, the labels with their descriptions and the answer format. */
export function classificationQuery(labels: readonly Label[], count: number): string {
  const list = labels.map((l) => `- ${l.name}: ${descriptionLines(l).join(' / ').slice(0, PROMPT_DESCRIPTION_CHARS)}`).join('\n');
  return [
    `${CLASSIFY_PROMPT_START}. Choose the label that best says what the person (or system) behind it wants.`,
    'Labels:',
    list,
    `Answer with one JSON object and nothing else (no citations, no prose): keys "1" to "${count}", one per source, each`,
    '{"label": "<one label name above, or unknown when none fits>", "confidence": <your confidence, 0 to 1>}.',
  ].join('\n');
}

/** The events as the generator's numbered sources. */
export function classificationSources(events: ReadonlyArray<{ id: string; text: string }>): AnswerSource[] {
  return events.map((e) => ({ chunkId: e.id, documentId: e.id, text: e.text, score: 1 }));
}

export interface LlmChoice {
  /** A label name of the tenant, or `unknown`. */
  label: string;
  confidence: number;
}

/** The JSON object of the answer: the whole text, or the text inside a ```json fence. */
function answerObject(text: string): Record<string, unknown> | null {
  if (text.length > MAX_ANSWER_CHARS) return null;
  const fenced = /^```(?:json)?\s*\n([\s\S]*?)\n?```$/.exec(text.trim());
  const body = (fenced ? fenced[1]! : text).trim();
  if (!body.startsWith('{') || !body.endsWith('}')) return null;
  try {
    const parsed: unknown = JSON.parse(body);
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? parsed as Record<string, unknown> : null;
  } catch {
    return null;
  }
}

/** One choice per source (null where the answer gave none that holds). */
export function parseClassification(text: string, count: number, labelNames: ReadonlySet<string>): Array<LlmChoice | null> {
  const answer = answerObject(text);
  return Array.from({ length: count }, (_, i) => {
    const key = String(i + 1);
    if (!answer || !Object.hasOwn(answer, key)) return null;
    const entry = answer[key];
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) return null;
    const { label, confidence } = entry as Record<string, unknown>;
    if (typeof label !== 'string' || (label !== UNKNOWN && !labelNames.has(label))) return null;
    if (typeof confidence !== 'number' || !Number.isFinite(confidence) || confidence < 0 || confidence > 1) return null;
    return { label, confidence };
  });
}
