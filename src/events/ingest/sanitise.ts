/**
 * Removes or masks sensitive keys at any depth before anything is stored or logged.
 * Keys match case-insensitively and ignoring `_`/`-`, so `apiKey`, `api_key` and `API-KEY` are one.
 */
export const MASK = '[redacted]';

export type SanitiseMode = 'remove' | 'mask';

const normalise = (key: string) => key.toLowerCase().replace(/[^a-z0-9]/g, '');

export function createSanitiser(keys: readonly string[], mode: SanitiseMode): (value: unknown) => unknown {
  const sensitive = new Set(keys.map(normalise));
  const walk = (value: unknown, depth: number): unknown => {
    if (depth > 64 || value === null || typeof value !== 'object') return value;
    if (Array.isArray(value)) return value.map((item) => walk(item, depth + 1));
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value as Record<string, unknown>)) {
      if (sensitive.has(normalise(key))) {
        if (mode === 'mask') out[key] = MASK;
        continue;
      }
      out[key] = walk(inner, depth + 1);
    }
    return out;
  };
  return (value) => walk(value, 0);
}
