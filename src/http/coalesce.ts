/**
 * Unauthenticated work behind public routes (readiness checks, the scrape's lag query) runs once
 * at a time: callers that arrive while it runs, or within `reuseMs` after it succeeded, share
 * its result, so a flood of probes costs the store one query a second.
 */
export function coalesce<T>(work: () => Promise<T>, reuseMs = 1_000): () => Promise<T> {
  let last: { at: number; result: Promise<T> } | null = null;
  return () => {
    if (last && Date.now() - last.at < reuseMs) return last.result;
    const result = work();
    const entry = { at: Date.now(), result };
    last = entry;
    result.then(() => { entry.at = Date.now(); }, () => { if (last === entry) last = null; });
    return result;
  };
}
