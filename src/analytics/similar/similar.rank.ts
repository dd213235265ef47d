/**
 * The ranking of /similar: the index's nearest persons by their stored vectors are candidates;
 * each is scored by the cosine of the two persons' vectors, recomputed with their intents when the
 * categorizer is there (the intent part of the vector is added here rather than stored, so a
 * replay of the projection gives the same ranking), else the stored vectors as they are.
 */
import type { PersonProfileRow } from './similar.store.js';
import { personVector, type Profile } from './similar.vector.js';

/** A person's intent counts (from the categorizer). */
export type IntentCounts = (tenantId: string, userId: string) => Promise<Record<string, number>>;

export interface Ranked { userId: string; score: number; profile: Profile }

const dot = (a: Float32Array, b: Float32Array) => {
  let sum = 0;
  for (let i = 0; i < a.length; i += 1) sum += a[i]! * (b[i] ?? 0);
  return sum;
};

async function withIntents(row: PersonProfileRow, intents: IntentCounts | undefined): Promise<{ profile: Profile; vector: Float32Array }> {
  if (!intents) return { profile: row.profile, vector: row.vector };
  const counts = Object.fromEntries(Object.entries(await intents(row.tenantId, row.userId)).filter(([, n]) => Number.isInteger(n) && n > 0));
  const profile: Profile = { ...row.profile, intents: counts, totals: { ...row.profile.totals, intents: Object.values(counts).reduce((s, n) => s + n, 0) } };
  return { profile, vector: personVector(profile, row.textVector, row.vector.length) };
}

/** The candidates (the person left out) by score, then user id; at most `limit`. */
export async function rank(self: PersonProfileRow, candidates: PersonProfileRow[], limit: number, intents?: IntentCounts): Promise<{ self: Profile; items: Ranked[] }> {
  const mine = await withIntents(self, intents);
  const items: Ranked[] = [];
  for (const row of candidates) {
    if (row.userId === self.userId) continue;
    const theirs = await withIntents(row, intents);
    items.push({ userId: row.userId, score: Math.round(dot(mine.vector, theirs.vector) * 1e6) / 1e6, profile: theirs.profile });
  }
  items.sort((a, b) => b.score - a.score || (a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0));
  return { self: mine.profile, items: items.slice(0, limit) };
}
