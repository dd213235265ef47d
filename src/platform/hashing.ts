/**
 * FNV-1a, 32 bits, over UTF-16 code units: fast and stable across processes, platforms and
 * releases. Its values are stored (consumer partitions, hashed embeddings, sparse term ids,
 * person vectors), so it must never change.
 */
export function fnv1a(text: string, seed = 0x811c9dc5): number {
  let hash = seed >>> 0;
  for (let i = 0; i < text.length; i += 1) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/** Scales a vector to unit length in place (a zero vector stays zero). */
export function l2Normalize(vector: Float32Array): Float32Array {
  let norm = 0;
  for (const value of vector) norm += value * value;
  if (norm === 0) return vector;
  const scale = 1 / Math.sqrt(norm);
  for (let i = 0; i < vector.length; i += 1) vector[i]! *= scale;
  return vector;
}
