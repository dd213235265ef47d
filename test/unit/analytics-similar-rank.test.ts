/**
 * The person vector and the ranking of /similar: shares hashed and normalised per kind, texts mixed
 * in by their weight, the same vector whatever order the counts were built in, intents added at
 * ranking time (reordering candidates of equal habits by their intents), `shared` per kind.
 */
import { describe, expect, it } from 'vitest';
import { rank, type IntentCounts } from '../../src/analytics/similar/similar.rank.js';
import type { PersonProfileRow } from '../../src/analytics/similar/similar.store.js';
import { decodeVector, emptyProfile, encodeVector, personVector, profileVector, sharedOf, type Profile } from '../../src/analytics/similar/similar.vector.js';

const DIM = 64;
function profile(types: Record<string, number>, categories: Record<string, number> = {}): Profile {
  const p = emptyProfile();
  p.types = types;
  p.categories = categories;
  p.totals.types = Object.values(types).reduce((a, b) => a + b, 0);
  p.totals.categories = Object.values(categories).reduce((a, b) => a + b, 0);
  return p;
}
const row = (userId: string, p: Profile): PersonProfileRow =>
  ({ tenantId: 't', userId, profile: p, textVector: null, vector: personVector(p, null, DIM), events: p.totals.types, lastEventId: 'e' });
const cos = (a: Float32Array, b: Float32Array) => a.reduce((s, v, i) => s + v * b[i]!, 0);

describe('similar: the person vector', () => {
  it('is unit length, depends on shares not counts, and not on the order of the keys', () => {
    const a = profileVector(profile({ x: 2, y: 1 }, { c: 3 }), DIM);
    const b = profileVector(profile({ y: 10, x: 20 }, { c: 1 }), DIM);
    expect(Math.hypot(...a)).toBeCloseTo(1, 6);
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(cos(a, profileVector(profile({ z: 1 }, { d: 1 }), DIM))).toBeLessThan(0.5);
    expect(Array.from(profileVector(emptyProfile(), DIM)).every((v) => v === 0)).toBe(true);
  });

  it('mixes the texts in with weight 0.3 and survives the base64 round trip', () => {
    const p = profile({ x: 1 });
    const text = new Float32Array(DIM);
    text[0] = 1;
    const withText = personVector(p, text, DIM);
    expect(Math.hypot(...withText)).toBeCloseTo(1, 6);
    expect(cos(withText, profileVector(p, DIM))).toBeGreaterThan(0.85);
    expect(cos(withText, profileVector(p, DIM))).toBeLessThan(1);
    expect(Array.from(decodeVector(encodeVector(withText)))).toEqual(Array.from(withText));
  });

  it('says what two profiles share, by the smaller share', () => {
    const shared = sharedOf(profile({ x: 3, y: 1 }, { c: 1 }), profile({ x: 1, y: 1, z: 2 }, { d: 1 }), 5);
    expect(shared.types).toEqual([{ key: 'x', userShare: 0.75, otherShare: 0.25 }, { key: 'y', userShare: 0.25, otherShare: 0.25 }]);
    expect(shared.categories).toEqual([]);
    expect(sharedOf(profile({ x: 1 }), profile({ x: 1 }), 0).types).toEqual([]);
  });
});

describe('similar: the ranking', () => {
  const self = row('me', profile({ a: 1, b: 1 }));
  const twins = [row('u1', profile({ a: 1, b: 1 })), row('u2', profile({ a: 1, b: 1 })), row('far', profile({ z: 1 }))];

  it('scores by the cosine of the stored vectors without intents, ties by user id, leaving the person out', async () => {
    const { items } = await rank(self, [self, ...twins], 10);
    expect(items.map((i) => [i.userId, i.score])).toEqual([['u1', 1], ['u2', 1], ['far', expect.any(Number)]]);
    expect(items[2]!.score).toBeLessThan(0.5);
    expect((await rank(self, twins, 1)).items.map((i) => i.userId)).toEqual(['u1']);
  });

  it('adds the intents when the categorizer gives them: the twin of the same intents ranks first', async () => {
    const intents: IntentCounts = async (_tenant, userId) => ({ me: { billing: 3 }, u1: { support: 2 }, u2: { billing: 1, bogus: -1 } } as Record<string, Record<string, number>>)[userId] ?? {};
    const { self: mine, items } = await rank(self, twins, 10, intents);
    expect(items.map((i) => i.userId)).toEqual(['u2', 'u1', 'far']);
    expect(items[0]!.profile.intents).toEqual({ billing: 1 });
    expect(sharedOf(mine, items[0]!.profile, 5).intents).toEqual([{ key: 'billing', userShare: 1, otherShare: 1 }]);
    expect(self.profile.intents).toEqual({}); // the stored row is left as it was
  });
});
