/**
 * Retrieval metrics with their standard (trec_eval / BEIR) definitions, per query:
 * - nDCG@k: Σ rel_i / log2(i + 1) over ranks i = 1..k, divided by the same sum for the ideal
 *   ordering of the judged documents (linear gain, as pytrec_eval);
 * - Recall@k: relevant documents in the top k / all relevant documents;
 * - MRR@k: 1 / rank of the first relevant document within the top k, else 0.
 * `ranked` holds distinct document ids, best first.
 */
export function ndcgAt(ranked: string[], relevant: ReadonlyMap<string, number>, k: number): number {
  let dcg = 0;
  ranked.slice(0, k).forEach((id, i) => {
    dcg += (relevant.get(id) ?? 0) / Math.log2(i + 2);
  });
  const ideal = [...relevant.values()].sort((a, b) => b - a).slice(0, k);
  const idcg = ideal.reduce((sum, rel, i) => sum + rel / Math.log2(i + 2), 0);
  return idcg > 0 ? dcg / idcg : 0;
}

export function recallAt(ranked: string[], relevant: ReadonlyMap<string, number>, k: number): number {
  if (relevant.size === 0) return 0;
  return ranked.slice(0, k).filter((id) => relevant.has(id)).length / relevant.size;
}

export function mrrAt(ranked: string[], relevant: ReadonlyMap<string, number>, k: number): number {
  const rank = ranked.slice(0, k).findIndex((id) => relevant.has(id));
  return rank === -1 ? 0 : 1 / (rank + 1);
}

/** Mean of per-query values (0 for none). */
export function mean(values: number[]): number {
  return values.length === 0 ? 0 : values.reduce((sum, value) => sum + value, 0) / values.length;
}
