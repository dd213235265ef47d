/**
 * The counts of the next-action model: a suffix trie of contexts. The root is the empty context
 * (the overall type distribution); a node's child under symbol s is the context one type
 * longer, s being the older type. Walking from the root along the latest types, then older
 * ones, visits every order of a context in one pass, with no string keys to build.
 * Memory is bounded: counted next types per node, and nodes overall (rarest evicted).
 */
export interface ContextNode {
  /** Sum of the counts in `next`. */
  total: number;
  /** Next type → how often it followed this context. */
  next: Map<string, number>;
  /** Older symbol → the longer context; undefined until the first one. */
  children: Map<string, ContextNode> | undefined;
}

/** Eviction leaves this share of the cap, so evictions run once per many new contexts. */
const PRUNE_TO = 0.9;

const newNode = (): ContextNode => ({ total: 0, next: new Map(), children: undefined });

export class ContextTrie {
  readonly root: ContextNode = newNode();
  private contexts = 0;

  constructor(
    private readonly maxContexts: number,
    private readonly maxTypesPerContext: number,
  ) {}

  get contextCount(): number {
    return this.contexts;
  }

  /** The child of `node` under `symbol`, created when missing. */
  child(node: ContextNode, symbol: string): ContextNode {
    node.children ??= new Map();
    let child = node.children.get(symbol);
    if (!child) {
      child = newNode();
      node.children.set(symbol, child);
      this.contexts += 1;
    }
    return child;
  }

  /**
   * Counts `type` after `node`. When the node already counts `maxTypes` others, the rarest of
   * them (the first met among equals, so deterministic) gives way and its count leaves the total,
   * keeping the node a proper distribution over the types it holds.
   */
  static count(node: ContextNode, type: string, maxTypes: number): void {
    const seen = node.next.get(type);
    if (seen !== undefined) {
      node.next.set(type, seen + 1);
      node.total += 1;
      return;
    }
    if (node.next.size >= maxTypes) {
      let rarest: string | undefined;
      let rarestCount = Number.POSITIVE_INFINITY;
      for (const [candidate, count] of node.next) {
        if (count < rarestCount) {
          rarest = candidate;
          rarestCount = count;
        }
      }
      node.next.delete(rarest!);
      node.total -= rarestCount;
    }
    node.next.set(type, 1);
    node.total += 1;
  }

  /**
   * Over the cap, evicts contexts by ascending count, longer first among equals, down to 90 %
   * of the cap. Evicting a context takes the longer ones under it too (they are counted).
   */
  pruneIfOverCap(): void {
    if (this.contexts <= this.maxContexts) return;
    const all: Array<{ parent: ContextNode; symbol: string; node: ContextNode; depth: number }> = [];
    const visit = (parent: ContextNode, depth: number): void => {
      for (const [symbol, node] of parent.children ?? []) {
        all.push({ parent, symbol, node, depth });
        visit(node, depth + 1);
      }
    };
    visit(this.root, 1);
    all.sort((a, b) => a.node.total - b.node.total || b.depth - a.depth);
    const target = Math.floor(this.maxContexts * PRUNE_TO);
    const evicted = new Set<ContextNode>();
    for (const { parent, symbol, node } of all) {
      if (this.contexts <= target) break;
      if (evicted.has(node)) continue;
      parent.children!.delete(symbol);
      this.contexts -= markSubtree(node, evicted);
    }
  }

  /** Every context with its symbols (oldest first), parents before children. */
  entries(): Array<{ context: string[]; node: ContextNode }> {
    const out: Array<{ context: string[]; node: ContextNode }> = [];
    const visit = (node: ContextNode, context: string[]): void => {
      out.push({ context, node });
      for (const [symbol, child] of node.children ?? []) visit(child, [symbol, ...context]);
    };
    visit(this.root, []);
    return out;
  }
}

/** Adds the node and everything under it to `evicted`; returns how many that was. */
function markSubtree(node: ContextNode, evicted: Set<ContextNode>): number {
  evicted.add(node);
  let count = 1;
  for (const child of node.children?.values() ?? []) count += markSubtree(child, evicted);
  return count;
}
