/**
 * Generator: writes a short answer from retrieved chunks, citing them as `[n]` where n is the
 * 1-based position of the chunk in `sources`. Adapters: `extractive` (default), `openai`.
 */

/** A retrieved chunk offered to the generator; `[n]` citations refer to its position + 1. */
export interface AnswerSource {
  chunkId: string;
  documentId: string;
  text: string;
  score: number;
}

/** A citation in an answer: `[n]` ↔ the chunk it points at. */
export interface Citation {
  n: number;
  chunkId: string;
  documentId: string;
}

export interface Answer {
  text: string;
  /** The citations used in `text`, each once, by n. */
  citations: Citation[];
  generator: 'extractive' | 'openai';
  model: string;
}

export interface GenerateParams {
  query: string;
  sources: AnswerSource[];
  /** Answer language hint (`en`, `de`); adapters may ignore it. */
  language?: string;
  signal?: AbortSignal;
}

/** A streamed piece of an answer: text deltas, then exactly one `done` with the whole answer. */
export type AnswerStreamEvent = { type: 'delta'; text: string } | { type: 'done'; answer: Answer };

export interface Generator {
  readonly kind: 'extractive' | 'openai';
  readonly model: string;
  init(): Promise<void>;
  close(): Promise<void>;
  /** The whole answer at once. Remote adapters throw AppError PROVIDER_UNAVAILABLE on failure. */
  generate(params: GenerateParams): Promise<Answer>;
  /** The answer as it is written; the last event is `done`. Errors are thrown from the iterator. */
  stream(params: GenerateParams): AsyncIterable<AnswerStreamEvent>;
}
