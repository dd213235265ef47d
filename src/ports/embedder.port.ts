/**
 * Embedder: text → dense vectors. Adapters: `hash` (built-in), `transformers` (local ONNX
 * model), `openai` (OpenAI-compatible /v1/embeddings). Remote ones are wrapped with cockatiel
 * policies by the composition root (src/platform/resilience.ts), never inside the adapter.
 */

/** Whether the text is a query or a passage (some models embed them differently). */
export type EmbedPurpose = 'query' | 'document';

export interface EmbedParams {
  texts: string[];
  purpose: EmbedPurpose;
  signal?: AbortSignal;
}

export interface Embedder {
  readonly kind: 'hash' | 'transformers' | 'openai';
  /**
   * Identifies the embedding space (e.g. `hash-v1-384`, a model name). A collection records it
   * with the dimension; a change means re-index, never a mix.
   */
  readonly model: string;
  /** Vector length. Known before init() when configured, else after it. */
  readonly dimension: number;
  /** Loads models / checks the provider. Idempotent. */
  init(): Promise<void>;
  /** Releases models and sockets. */
  close(): Promise<void>;
  /**
   * One L2-normalised vector per text, in order. Batches internally as the provider needs.
   * Throws AppError PROVIDER_UNAVAILABLE (or RATE_LIMITED) when a remote provider fails.
   */
  embed(params: EmbedParams): Promise<Float32Array[]>;
}
