/**
 * Removes or masks sensitive keys at any depth before anything is stored or logged.
 * Keys match case-insensitively and ignoring `_`/`-`, so `apiKey`, `api_key` and `API-KEY` are one.
 * The walk is iterative (an explicit stack), so no nesting depth can overflow the call stack
 * or leave a secret below some cut-off; the input is never changed.
 */
export const MASK = '[redacted]';

export type SanitiseMode = 'remove' | 'mask';

type Container = Record<string, unknown> | unknown[];

const normalise = (key: string) => key.toLowerCase().replace(/[^a-z0-9]/g, '');

/** Sets a property without ever touching a prototype (a `__proto__` key stays a plain key). */
function setOwn(target: Container, key: string | number, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else (target as Record<string, unknown>)[key] = value;
}

export function createSanitiser(keys: readonly string[], mode: SanitiseMode): (value: unknown) => unknown {
  const sensitive = new Set(keys.map(normalise));
  return (value) => {
    if (value === null || typeof value !== 'object') return value;
    const stack: Array<[source: Container, target: Container]> = [];
    // A copy of each container is made when it is first seen and filled when it is popped.
    const shell = (inner: unknown): unknown => {
      if (inner === null || typeof inner !== 'object') return inner;
      const copy: Container = Array.isArray(inner) ? new Array<unknown>(inner.length) : {};
      stack.push([inner as Container, copy]);
      return copy;
    };
    const root = shell(value);
    while (stack.length > 0) {
      const [source, target] = stack.pop()!;
      if (Array.isArray(source)) {
        for (let i = 0; i < source.length; i++) (target as unknown[])[i] = shell(source[i]);
        continue;
      }
      for (const [key, inner] of Object.entries(source)) {
        if (sensitive.has(normalise(key))) {
          if (mode === 'mask') setOwn(target, key, MASK);
        } else {
          setOwn(target, key, shell(inner));
        }
      }
    }
    return root;
  };
}
