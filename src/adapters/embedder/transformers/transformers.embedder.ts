/**
 * `transformers` embedder: a local ONNX model folder (Hugging Face layout: config.json,
 * tokenizer.json, tokenizer_config.json, onnx/model.onnx) run by @huggingface/transformers with
 * onnxruntime-node. The package is an optional dependency, imported lazily on init(); remote
 * downloads are off unless `allowRemote` (machines with network may fetch a model by name).
 */
import { AppError } from '../../../platform/errors.js';
import type { EmbedParams, Embedder } from '../../../ports/embedder.port.js';

export interface TransformersEmbedderConfig {
  /** Absolute path of a local model folder (or a hub id when allowRemote). */
  model: string;
  pooling?: 'mean' | 'cls';
  /** Texts per forward pass (default 16). */
  batchSize?: number;
  /** ONNX weights variant: `fp32` = onnx/model.onnx, `q8` = onnx/model_quantized.onnx. */
  dtype?: 'fp32' | 'fp16' | 'q8';
  allowRemote?: boolean;
  queryPrefix?: string;
  documentPrefix?: string;
}

/** The slice of @huggingface/transformers this adapter uses. */
interface TensorLike {
  dims: number[];
  data: Float32Array;
}
type Extractor = ((texts: string[], options: { pooling: 'mean' | 'cls'; normalize: boolean }) => Promise<TensorLike>) & { dispose(): Promise<void> };
interface TransformersModule {
  env: { allowRemoteModels: boolean; allowLocalModels: boolean; useFSCache: boolean };
  pipeline(task: 'feature-extraction', model: string, options: { dtype: string; local_files_only: boolean }): Promise<Extractor>;
}

async function loadModule(): Promise<TransformersModule> {
  const name = '@huggingface/transformers';
  try {
    return (await import(name)) as TransformersModule;
  } catch (error) {
    throw new AppError('CONFIG_INVALID', { detail: 'EMBEDDER=transformers needs the optional package @huggingface/transformers (npm install @huggingface/transformers)', cause: error });
  }
}

export function createTransformersEmbedder(config: TransformersEmbedderConfig): Embedder {
  let extractor: Extractor | undefined;
  let dimension = 0;
  const pooling = config.pooling ?? 'mean';
  const batchSize = Math.max(1, config.batchSize ?? 16);

  async function run(texts: string[]): Promise<Float32Array[]> {
    if (!extractor) throw new AppError('INTERNAL', { detail: 'transformers embedder used before init()' });
    const output = await extractor(texts, { pooling, normalize: true });
    const width = output.dims.at(-1) ?? 0;
    return texts.map((_, i) => output.data.slice(i * width, (i + 1) * width));
  }

  return {
    kind: 'transformers',
    model: config.model,
    get dimension() {
      return dimension;
    },
    async init() {
      if (extractor) return;
      const transformers = await loadModule();
      transformers.env.allowLocalModels = true;
      transformers.env.allowRemoteModels = config.allowRemote ?? false;
      transformers.env.useFSCache = config.allowRemote ?? false;
      try {
        extractor = await transformers.pipeline('feature-extraction', config.model, { dtype: config.dtype ?? 'fp32', local_files_only: !(config.allowRemote ?? false) });
      } catch (error) {
        throw new AppError('CONFIG_INVALID', { detail: `cannot load the embedding model ${config.model}: ${(error as Error).message}`, cause: error });
      }
      dimension = (await run(['dimension probe']))[0]!.length;
    },
    async close() {
      await extractor?.dispose();
      extractor = undefined;
    },
    async embed({ texts, purpose }: EmbedParams) {
      const prefix = (purpose === 'query' ? config.queryPrefix : config.documentPrefix) ?? '';
      const vectors: Float32Array[] = [];
      for (let i = 0; i < texts.length; i += batchSize) vectors.push(...(await run(texts.slice(i, i + batchSize).map((text) => prefix + text))));
      return vectors;
    },
  };
}
