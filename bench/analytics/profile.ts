/**
 * Inclusive (total) time per eventrag function in a V8 .cpuprofile, from `skipMs` on: a sample
 * counts once for every distinct src/ function on its stack, so a route handler's figure holds
 * the SQLite calls and the JavaScript it runs. Self time per function is bench/ingest/profile.ts.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }
interface CpuProfile { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] }

export function inclusiveTime(path: string, skipMs: number, limit = 15): { total: number; functions: Array<[string, number]> } {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const label = (node: ProfileNode): string | null => {
    const src = /\/(src\/.*)$/.exec(node.callFrame.url);
    return src ? `${node.callFrame.functionName || '(anonymous)'} ${src[1]}:${node.callFrame.lineNumber + 1}` : null;
  };
  const totals = new Map<string, number>();
  let total = 0;
  let elapsed = 0;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    elapsed += delta;
    if (elapsed < skipMs * 1000) return;
    const leaf = byId.get(id);
    if (!leaf || leaf.callFrame.functionName === '(idle)') return;
    total += delta;
    const seen = new Set<string>();
    for (let node: ProfileNode | undefined = leaf; node; node = byId.get(parent.get(node.id) ?? -1)) {
      const name = label(node);
      if (name !== null && !seen.has(name)) { seen.add(name); totals.set(name, (totals.get(name) ?? 0) + delta); }
    }
  });
  return { total, functions: [...totals].sort((a, b) => b[1] - a[1]).slice(0, limit) };
}
