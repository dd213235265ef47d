/**
 * Next-action model: a variable-order Markov model over one tenant's event types.
 *
 * Method. Every observed step "after these types came `next`" counts `next` in each suffix of
 * the context, from order 0 (the tenant's overall type distribution) up to `maxOrder` (the last
 * `maxOrder` types). A session start is the symbol SESSION_START at the front of a context, so
 * the first event of a session is predicted from the session-start distribution, not from the
 * previous session. Prediction is interpolated Witten–Bell back-off:
 *
 *   P_0(w)     = c_0(w) / N_0
 *   P_n(w | h) = (c(h, w) + T(h) · P_{n-1}(w | h')) / (c(h) + T(h))
 *
 * where h' is h without its oldest type, c(h) the count of h, T(h) the number of distinct types
 * seen after h. A context never seen (or evicted) is skipped: P_n = P_{n-1}. Every level is a
 * distribution over the known types, so the mix sums to 1 over all of them.
 *
 * Bounds: at most `maxContexts` contexts (the rarest are evicted, longest first, when the cap is
 * passed), at most `maxTypesPerContext` next types per context (the rarest gives way), at most
 * `maxTypes` types in the tenant (later new types are not learned). `predict` reads only the
 * contexts on one path, at most maxOrder + 1, and scores each of the tenant's types once:
 * O(types · (maxOrder + k)), whatever the length of the history.
 * Training is incremental: call `observe` as events arrive. Serializable with toJSON/fromJSON.
 */
import { AppError } from '../../platform/errors.js';
import { ContextTrie, type ContextNode } from './context-trie.js';
import { parseSerializedModel, type SerializedNextActionModel } from './markov-json.js';

/** Marks the start of a session in a context; never a real event type (those are non-empty). */
export const SESSION_START = '';

export interface NextActionModelOptions {
  /** Longest context used, in types (default 3). */
  maxOrder?: number;
  /**
   * Contexts kept in memory (default 100,000); the rarest are evicted beyond this. A context
   * takes about 0.6 KB of heap (measured with 500 types), so about 60 MB at the default cap.
   */
  maxContexts?: number;
  /** Next types counted per context (default 16); the rarest gives way to a new one. */
  maxTypesPerContext?: number;
  /** Distinct types the model learns (default 1,000). */
  maxTypes?: number;
}

export interface TypeProbability {
  type: string;
  probability: number;
}

export interface NextActionPrediction {
  predictions: TypeProbability[];
  /** `markov-<maxOrder>`. */
  model: string;
  /** Order of the longest context found in the model (0: the overall distribution). */
  order: number;
  /** The types of that context, oldest first (without the session-start marker). */
  context: string[];
  /** Whether that context starts at the session start. */
  sessionStart: boolean;
}

const DEFAULTS = { maxOrder: 3, maxContexts: 100_000, maxTypesPerContext: 16, maxTypes: 1_000 };

function positiveInteger(name: string, value: number | undefined, fallback: number, max: number): number {
  const chosen = value ?? fallback;
  if (!Number.isInteger(chosen) || chosen < 1 || chosen > max) throw new RangeError(`${name} must be an integer in [1, ${max}], got ${String(value)}`);
  return chosen;
}

/** The symbols a context contributes: those after its last session start, at most maxOrder. */
export function effectiveContext(previous: readonly string[], maxOrder: number): readonly string[] {
  const start = previous.lastIndexOf(SESSION_START);
  const fromSession = start >= 0 ? previous.slice(start) : previous;
  return fromSession.length > maxOrder ? fromSession.slice(fromSession.length - maxOrder) : fromSession;
}

export class NextActionModel {
  readonly maxOrder: number;
  readonly maxContexts: number;
  readonly maxTypesPerContext: number;
  readonly maxTypes: number;
  private readonly trie: ContextTrie;

  constructor(options: NextActionModelOptions = {}) {
    this.maxOrder = positiveInteger('maxOrder', options.maxOrder, DEFAULTS.maxOrder, 16);
    this.maxContexts = positiveInteger('maxContexts', options.maxContexts, DEFAULTS.maxContexts, 100_000_000);
    this.maxTypesPerContext = positiveInteger('maxTypesPerContext', options.maxTypesPerContext, DEFAULTS.maxTypesPerContext, 100_000);
    this.maxTypes = positiveInteger('maxTypes', options.maxTypes, DEFAULTS.maxTypes, 1_000_000);
    this.trie = new ContextTrie(this.maxContexts, this.maxTypesPerContext);
  }

  get name(): string {
    return `markov-${this.maxOrder}`;
  }

  /** Contexts held, the overall distribution not included. */
  get contextCount(): number {
    return this.trie.contextCount;
  }

  /** Distinct types known (those of the overall distribution). */
  get typeCount(): number {
    return this.trie.root.next.size;
  }

  /**
   * Learns that `nextType` followed `previous` (oldest first; SESSION_START marks where the
   * session began). Returns false when the type was not learned because `maxTypes` is reached.
   */
  observe(previous: readonly string[], nextType: string): boolean {
    if (typeof nextType !== 'string' || nextType === SESSION_START) throw new TypeError('nextType must be a non-empty string');
    const root = this.trie.root;
    if (!root.next.has(nextType) && root.next.size >= this.maxTypes) return false;
    ContextTrie.count(root, nextType, Number.POSITIVE_INFINITY);
    const symbols = effectiveContext(previous, this.maxOrder);
    let node = root;
    for (let i = symbols.length - 1; i >= 0; i -= 1) {
      node = this.trie.child(node, symbols[i]!);
      ContextTrie.count(node, nextType, this.maxTypesPerContext);
    }
    this.trie.pruneIfOverCap();
    return true;
  }

  /** The k most probable next types after `previous` (oldest first), ties by type name. */
  predict(previous: readonly string[], k: number): NextActionPrediction {
    if (!Number.isInteger(k) || k < 1) throw new AppError('VALIDATION_FAILED', { detail: `k must be a positive integer, got ${String(k)}` });
    const symbols = effectiveContext(previous, this.maxOrder);
    const path: ContextNode[] = [this.trie.root];
    let node = this.trie.root;
    for (let i = symbols.length - 1; i >= 0; i -= 1) {
      const child = node.children?.get(symbols[i]!);
      if (!child || child.total === 0) break;
      path.push(child);
      node = child;
    }
    const order = path.length - 1;
    const used = symbols.slice(symbols.length - order);
    const sessionStart = used[0] === SESSION_START;
    const result = { model: this.name, order, context: sessionStart ? used.slice(1) : [...used], sessionStart };
    if (this.trie.root.total === 0) return { predictions: [], ...result };
    return { predictions: topK(path, Math.min(k, this.trie.root.next.size)), ...result };
  }

  toJSON(): SerializedNextActionModel {
    return {
      format: 'eventrag.next-action-model',
      version: 1,
      options: { maxOrder: this.maxOrder, maxContexts: this.maxContexts, maxTypesPerContext: this.maxTypesPerContext, maxTypes: this.maxTypes },
      contexts: this.trie.entries().map(({ context, node }) => ({ context, next: [...node.next] })),
    };
  }

  /** Rebuilds a model from toJSON's output (a parsed object); throws on anything else. */
  static fromJSON(json: unknown): NextActionModel {
    const parsed = parseSerializedModel(json);
    const model = new NextActionModel(parsed.options);
    for (const { context, next } of parsed.contexts) {
      let node = model.trie.root;
      for (let i = context.length - 1; i >= 0; i -= 1) node = model.trie.child(node, context[i]!);
      for (const [type, count] of next) {
        node.next.set(type, count);
        node.total += count;
      }
    }
    model.trie.pruneIfOverCap();
    return model;
  }
}

/** One order of a context as the interpolation reads it (a trie node, or rows of the SQL projection). */
export interface BackoffLevel {
  /** c(h): how often the context was followed by any type. */
  total: number;
  /** T(h): distinct types seen after the context. */
  distinct: number;
  /** Counts of the types after the context (at least those of the candidates). */
  next: ReadonlyMap<string, number>;
}

/**
 * Witten–Bell interpolation along the levels (order 0 first, each level non-empty), unrolled into
 * one weight per level: P(w) = Σ_n weight_n · c_n(w). The candidates are the types of level 0
 * (every type counted anywhere is counted there). Levels are added in the same order for every
 * type, so types with equal counts get bitwise-equal probabilities and tie-break by name alone.
 * The k best are kept in a small sorted array: O(types · (orders + k)), no sort of the vocabulary.
 */
export function interpolatedTopK(levels: readonly BackoffLevel[], k: number): TypeProbability[] {
  const weights = new Array<number>(levels.length);
  let remaining = 1;
  for (let n = levels.length - 1; n >= 1; n -= 1) {
    const level = levels[n]!;
    const denominator = level.total + level.distinct;
    weights[n] = remaining / denominator;
    remaining *= level.distinct / denominator;
  }
  const root = levels[0]!;
  weights[0] = remaining / root.total;
  const best: TypeProbability[] = [];
  for (const [type, rootCount] of root.next) {
    let probability = weights[0] * rootCount;
    for (let n = 1; n < levels.length; n += 1) probability += weights[n]! * (levels[n]!.next.get(type) ?? 0);
    if (best.length === k && !ranksBefore(probability, type, best[k - 1]!)) continue;
    let at = best.length === k ? k - 1 : best.length;
    while (at > 0 && ranksBefore(probability, type, best[at - 1]!)) {
      best[at] = best[at - 1]!;
      at -= 1;
    }
    best[at] = { type, probability };
  }
  return best;
}

const topK = (path: readonly ContextNode[], k: number): TypeProbability[] =>
  interpolatedTopK(path.map((node) => ({ total: node.total, distinct: node.next.size, next: node.next })), k);

/** Higher probability first, then the type name (code units, the same on every machine). */
const ranksBefore = (probability: number, type: string, other: TypeProbability): boolean =>
  probability > other.probability || (probability === other.probability && type < other.type);
