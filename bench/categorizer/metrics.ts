/** Accuracy, macro-F1 and the unknown rate of predicted intents against expected ones. */

export interface Scored {
  expected: string;
  predicted: string;
  confidence: number;
}

export interface Figures {
  n: number;
  /** Right answers over all events (`unknown` counts as wrong). */
  accuracy: number;
  /** Mean F1 over the labels expected in the set; an `unknown` is a miss of the expected label, no false positive. */
  macroF1: number;
  unknownRate: number;
  /** Right answers over the events that got a label (not `unknown`). */
  answeredAccuracy: number;
}

export function figures(scored: readonly Scored[], unknown = 'unknown'): Figures {
  const labels = [...new Set(scored.map((s) => s.expected))];
  const right = scored.filter((s) => s.predicted === s.expected).length;
  const unknowns = scored.filter((s) => s.predicted === unknown).length;
  const f1s = labels.map((label) => {
    const tp = scored.filter((s) => s.expected === label && s.predicted === label).length;
    const fp = scored.filter((s) => s.expected !== label && s.predicted === label).length;
    const fn = scored.filter((s) => s.expected === label && s.predicted !== label).length;
    return tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn);
  });
  const answered = scored.length - unknowns;
  return {
    n: scored.length,
    accuracy: scored.length ? right / scored.length : 0,
    macroF1: f1s.length ? f1s.reduce((a, b) => a + b, 0) / f1s.length : 0,
    unknownRate: scored.length ? unknowns / scored.length : 0,
    answeredAccuracy: answered ? right / answered : 0,
  };
}

/** Accuracy per confidence bin of answers (all of them labelled: threshold 0). */
export function reliability(scored: readonly Scored[], edges: readonly number[]): Array<{ from: number; to: number; n: number; meanConfidence: number; accuracy: number }> {
  return edges.slice(0, -1).map((from, i) => {
    const to = edges[i + 1]!;
    const inBin = scored.filter((s) => s.confidence >= from && (s.confidence < to || (to === 1 && s.confidence === 1)));
    const n = inBin.length;
    return {
      from, to, n,
      meanConfidence: n ? inBin.reduce((a, s) => a + s.confidence, 0) / n : 0,
      accuracy: n ? inBin.filter((s) => s.predicted === s.expected).length / n : 0,
    };
  });
}
