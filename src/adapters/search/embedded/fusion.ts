/**
 * Hybrid fusion: min-max normalise each ranked list to [0, 1], then combine
 * `(1 - denseWeight) · lexical + denseWeight · dense` (a missing side counts 0).
 * Chosen over reciprocal rank fusion by measurement (SciFact train: RRF with hashed n-gram
 * vectors fell well below lexical; weighted score fusion held or gained). See BENCHMARKS.md.
 */
export interface RankedItem<K> {
  key: K;
  score: number;
}

/** Scales scores to [0, 1]; a list with equal scores maps to 1. */
export function minMax<K>(items: RankedItem<K>[]): Map<K, number> {
  let min = Infinity;
  let max = -Infinity;
  for (const { score } of items) {
    min = Math.min(min, score);
    max = Math.max(max, score);
  }
  const span = max - min;
  return new Map(items.map(({ key, score }) => [key, span > 0 ? (score - min) / span : 1]));
}

/** Weighted min-max fusion of a lexical and a dense list; ties broken by lexical rank. */
export function fuseWeighted<K>(lexical: RankedItem<K>[], dense: RankedItem<K>[], denseWeight: number, limit: number): RankedItem<K>[] {
  const lex = minMax(lexical);
  const den = minMax(dense);
  const keys = new Set<K>([...lex.keys(), ...den.keys()]);
  const fused = [...keys].map((key) => ({ key, score: (1 - denseWeight) * (lex.get(key) ?? 0) + denseWeight * (den.get(key) ?? 0) }));
  return fused.sort((a, b) => b.score - a.score).slice(0, limit);
}

/** Reciprocal rank fusion (k = 60), kept for comparison in the evaluation. */
export function fuseRrf<K>(lists: RankedItem<K>[][], limit: number, k = 60): RankedItem<K>[] {
  const scores = new Map<K, number>();
  for (const list of lists) list.forEach(({ key }, rank) => scores.set(key, (scores.get(key) ?? 0) + 1 / (k + rank + 1)));
  return [...scores].map(([key, score]) => ({ key, score })).sort((a, b) => b.score - a.score).slice(0, limit);
}
