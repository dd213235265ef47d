/**
 * `openai` embedder: any OpenAI-compatible `POST /embeddings` (OpenAI, Ollama, vLLM, TEI).
 * Sends texts in batches, restores input order from `index`, L2-normalises. The dimension is
 * configured or learnt on init() from one probe call. Wrap with withResilience() in main.ts.
 */
import { AppError } from '../../../platform/errors.js';
import type { EmbedParams, Embedder } from '../../../ports/embedder.port.js';
import { postJson, type OpenAiHttpConfig } from '../../openai/openai.http.js';
import { l2Normalize } from '../../../platform/hashing.js';

export interface OpenAiEmbedderConfig extends OpenAiHttpConfig {
  model: string;
  /** Vector length; learnt on init() when omitted. */
  dimension?: number;
  /** Texts per request (default 96). */
  batchSize?: number;
  /** Prefixes some models expect (e.g. `query: ` / `passage: ` for E5). */
  queryPrefix?: string;
  documentPrefix?: string;
}

interface EmbeddingsResponse {
  data: { index: number; embedding: number[] }[];
}

export function createOpenAiEmbedder(config: OpenAiEmbedderConfig): Embedder {
  let dimension = config.dimension ?? 0;
  const batchSize = Math.max(1, config.batchSize ?? 96);

  async function request(texts: string[], signal?: AbortSignal): Promise<Float32Array[]> {
    const response = await postJson(config, '/embeddings', { model: config.model, input: texts, encoding_format: 'float' }, signal);
    const body = (await response.json()) as EmbeddingsResponse;
    if (!Array.isArray(body.data) || body.data.length !== texts.length) {
      throw new AppError('PROVIDER_UNAVAILABLE', { detail: `embeddings response has ${body.data?.length ?? 0} vectors for ${texts.length} texts`, category: 'third_party', details: { retryable: false } });
    }
    const vectors = new Array<Float32Array>(texts.length);
    for (const item of body.data) vectors[item.index] = l2Normalize(Float32Array.from(item.embedding));
    return vectors;
  }

  const embedder: Embedder = {
    kind: 'openai',
    model: config.model,
    get dimension() {
      return dimension;
    },
    async init() {
      if (dimension === 0) dimension = (await request(['dimension probe']))[0]!.length;
    },
    async close() {},
    async embed({ texts, purpose, signal }: EmbedParams) {
      const prefix = (purpose === 'query' ? config.queryPrefix : config.documentPrefix) ?? '';
      const vectors: Float32Array[] = [];
      for (let i = 0; i < texts.length; i += batchSize) {
        vectors.push(...(await request(texts.slice(i, i + batchSize).map((text) => prefix + text), signal)));
      }
      for (const vector of vectors) {
        if (dimension !== 0 && vector.length !== dimension) {
          throw new AppError('PROVIDER_UNAVAILABLE', { detail: `provider returned ${vector.length} dimensions, expected ${dimension}`, category: 'third_party', details: { retryable: false } });
        }
      }
      return vectors;
    },
  };
  return embedder;
}
