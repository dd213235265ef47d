/**
 * The evaluation harness behind `eventrag eval` and bench/eval: indexes a BEIR corpus through a
 * caller-supplied target, runs the split's judged queries one at a time and reports
 * nDCG@10, Recall@100 and MRR@10 (means over judged queries).
 */
import { basename, resolve } from 'node:path';
import { readCorpus, readQrels, readQueries, type BeirDocument } from './beir.reader.js';
import { mean, mrrAt, ndcgAt, recallAt } from './metrics.js';

/** How the harness reaches the system under test. */
export interface EvalTarget {
  /** Indexes the corpus (title and text); resolves when everything is searchable. */
  index(documents: AsyncIterable<BeirDocument>): Promise<void>;
  /** Ranked document ids for the query, best first (duplicates are ignored after the first). */
  search(query: string, limit: number): Promise<string[]>;
}

export interface EvalResult {
  dataset: string;
  split: string;
  queries: number;
  'ndcg@10': number;
  'recall@100': number;
  'mrr@10': number;
  /** Seconds spent indexing and searching. */
  indexSeconds: number;
  searchSeconds: number;
}

export interface RunEvalParams {
  datasetDir: string;
  split?: string;
  target: EvalTarget;
  /** Skip indexing (the target already holds the corpus). */
  skipIndex?: boolean;
  onProgress?: (done: number, total: number) => void;
}

/** First occurrence of each id, in order. */
export function distinct(ids: string[]): string[] {
  return [...new Set(ids)];
}

export async function runEval({ datasetDir, split = 'test', target, skipIndex = false, onProgress }: RunEvalParams): Promise<EvalResult> {
  const [queries, qrels] = await Promise.all([readQueries(datasetDir), readQrels(datasetDir, split)]);
  const started = performance.now();
  if (!skipIndex) await target.index(readCorpus(datasetDir));
  const indexed = performance.now();
  const judged = [...qrels.keys()].filter((id) => queries.has(id));
  const ndcg: number[] = [];
  const recall: number[] = [];
  const mrr: number[] = [];
  for (const [i, queryId] of judged.entries()) {
    const ranked = distinct(await target.search(queries.get(queryId)!.text, 100));
    const relevant = qrels.get(queryId)!;
    ndcg.push(ndcgAt(ranked, relevant, 10));
    recall.push(recallAt(ranked, relevant, 100));
    mrr.push(mrrAt(ranked, relevant, 10));
    onProgress?.(i + 1, judged.length);
  }
  const round = (value: number) => Math.round(value * 10_000) / 10_000;
  return {
    dataset: basename(resolve(datasetDir)),
    split,
    queries: judged.length,
    'ndcg@10': round(mean(ndcg)),
    'recall@100': round(mean(recall)),
    'mrr@10': round(mean(mrr)),
    indexSeconds: round((indexed - started) / 1000),
    searchSeconds: round((performance.now() - indexed) / 1000),
  };
}
