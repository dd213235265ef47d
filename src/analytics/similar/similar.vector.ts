/**
 * A person's behaviour as one vector (pure). The profile part is feature hashing: each of the
 * person's types, categories and intents goes to a signed bucket (FNV-1a of `kind:key`) with its
 * share of the kind, each kind's vector is L2-normalised and weighted (types 0.5, categories 0.25,
 * intents 0.25; a kind the person has none of adds nothing), the sum normalised again. The text
 * part is the embedding of their newest query and message texts. The person's vector is
 * normalise(0.7 · profile + 0.3 · text), or the profile alone without texts: habits dominate,
 * the words they use tip the balance among people of the same habits. Cosine of two such vectors
 * is the `score` of /similar.
 */
import { fnv1a, l2Normalize } from '../../platform/hashing.js';

export type Kind = 'types' | 'categories' | 'intents';
export const KINDS: readonly Kind[] = ['types', 'categories', 'intents'];

export const KIND_WEIGHTS: Readonly<Record<Kind, number>> = { types: 0.5, categories: 0.25, intents: 0.25 };
export const PROFILE_WEIGHT = 0.7;
export const TEXT_WEIGHT = 0.3;

/** Counts per key of each kind, and each kind's total (keys past the cap count in the total only). */
export interface Profile {
  types: Record<string, number>;
  categories: Record<string, number>;
  intents: Record<string, number>;
  totals: Record<Kind, number>;
}

export const emptyProfile = (): Profile => ({ types: {}, categories: {}, intents: {}, totals: { types: 0, categories: 0, intents: 0 } });


/** Scales to unit length in place; a zero vector stays zero. */
export const normalise = l2Normalize;

/** The hashed, normalised, weighted distribution of a profile's kinds. */
export function profileVector(profile: Profile, dimension: number): Float32Array {
  const out = new Float32Array(dimension);
  for (const kind of KINDS) {
    const total = profile.totals[kind];
    if (total === 0) continue;
    const part = new Float32Array(dimension);
    // Keys in code-unit order: float sums come out the same whatever order the counts were built in.
    for (const key of Object.keys(profile[kind]).sort()) {
      const hash = fnv1a(`${kind}:${key}`);
      part[hash % dimension]! += ((hash & 0x80000000) === 0 ? 1 : -1) * (profile[kind][key]! / total);
    }
    normalise(part);
    for (let i = 0; i < dimension; i += 1) out[i]! += KIND_WEIGHTS[kind] * part[i]!;
  }
  return normalise(out);
}

/** The person's vector: profile and text parts mixed by their weights, unit length. */
export function personVector(profile: Profile, textVector: Float32Array | null, dimension: number): Float32Array {
  const vector = profileVector(profile, dimension);
  if (!textVector) return vector;
  for (let i = 0; i < dimension; i += 1) vector[i] = PROFILE_WEIGHT * vector[i]! + TEXT_WEIGHT * (textVector[i] ?? 0);
  return normalise(vector);
}

export const encodeVector = (vector: Float32Array): string => Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength).toString('base64');

export function decodeVector(text: string): Float32Array {
  const bytes = Buffer.from(text, 'base64');
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return new Float32Array(copy.buffer);
}

/** One key both persons have, with its share of the kind for each. */
export interface SharedKey { key: string; userShare: number; otherShare: number }

/** What two profiles share per kind: the keys of both, by the smaller of their shares, at most `max`. */
export function sharedOf(a: Profile, b: Profile, max: number): Record<Kind, SharedKey[]> {
  const out = { types: [], categories: [], intents: [] } as Record<Kind, SharedKey[]>;
  for (const kind of KINDS) {
    if (a.totals[kind] === 0 || b.totals[kind] === 0) continue;
    const keys: SharedKey[] = [];
    for (const [key, n] of Object.entries(a[kind])) {
      const other = b[kind][key];
      if (other !== undefined) keys.push({ key, userShare: round(n / a.totals[kind]), otherShare: round(other / b.totals[kind]) });
    }
    keys.sort((x, y) => Math.min(y.userShare, y.otherShare) - Math.min(x.userShare, x.otherShare) || (x.key < y.key ? -1 : x.key > y.key ? 1 : 0));
    out[kind] = keys.slice(0, max);
  }
  return out;
}

const round = (share: number) => Math.round(share * 10_000) / 10_000;
