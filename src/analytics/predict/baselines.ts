/**
 * The two baselines the next-action model must beat, fed exactly like the model (same contexts,
 * same events, same online learning):
 * - `first-order-most-frequent`: the types that most often followed the context's last symbol
 *   (the person's last type, or the session start), then the overall most frequent;
 * - `repeat-last`: the person's last type in the session, then the overall most frequent
 *   (at a session start only those).
 * Ties go to the type name, as in the model.
 */
import { SESSION_START } from './markov.js';

/** What the evaluation needs of a predictor: learn a step, name the k likeliest next types. */
export interface NextTypePredictor {
  readonly name: string;
  observe(previous: readonly string[], nextType: string): void;
  predictTypes(previous: readonly string[], k: number): string[];
}

const byCountThenName = (a: [string, number], b: [string, number]) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);

/** Overall type counts, with the most frequent types in order (sorted again only after a change). */
class TypeCounts {
  readonly counts = new Map<string, number>();
  private ranked: string[] | undefined;

  add(type: string): void {
    this.counts.set(type, (this.counts.get(type) ?? 0) + 1);
    this.ranked = undefined;
  }

  /** Appends to `out` the most frequent types not in it, until it holds k. */
  fill(out: string[], k: number): string[] {
    this.ranked ??= [...this.counts].sort(byCountThenName).map(([type]) => type);
    for (const type of this.ranked) {
      if (out.length >= k) break;
      if (!out.includes(type)) out.push(type);
    }
    return out;
  }
}

export class FirstOrderMostFrequent implements NextTypePredictor {
  readonly name = 'first-order-most-frequent';
  private readonly overall = new TypeCounts();
  private readonly afterType = new Map<string, TypeCounts>();

  observe(previous: readonly string[], nextType: string): void {
    this.overall.add(nextType);
    const last = previous.at(-1);
    if (last === undefined) return;
    let counts = this.afterType.get(last);
    if (!counts) this.afterType.set(last, (counts = new TypeCounts()));
    counts.add(nextType);
  }

  predictTypes(previous: readonly string[], k: number): string[] {
    const last = previous.at(-1);
    const after = last === undefined ? undefined : this.afterType.get(last);
    return this.overall.fill(after ? after.fill([], k) : [], k);
  }
}

export class RepeatLastType implements NextTypePredictor {
  readonly name = 'repeat-last';
  private readonly overall = new TypeCounts();

  observe(_previous: readonly string[], nextType: string): void {
    this.overall.add(nextType);
  }

  predictTypes(previous: readonly string[], k: number): string[] {
    const last = previous.at(-1);
    return this.overall.fill(last === undefined || last === SESSION_START || k < 1 ? [] : [last], k);
  }
}
