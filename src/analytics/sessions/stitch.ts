/**
 * A person's sessions across their stitched ids (pure). Rows of the same client session under
 * two actors (the anonymous id before the identify, the user id after it) are one session;
 * derived sessions stay as they were derived per actor (docs/analytics.md, "Persons").
 */
import type { SessionRow } from './sessionize.js';

export function mergeStitched(rows: SessionRow[]): SessionRow[] {
  const byKey = new Map<string, SessionRow>();
  const out: SessionRow[] = [];
  for (const row of rows) {
    const seen = row.derived ? undefined : byKey.get(row.key);
    if (!seen) {
      const copy = { ...row };
      if (!row.derived) byKey.set(row.key, copy);
      out.push(copy);
      continue;
    }
    if (row.startedAt < seen.startedAt) { seen.startedAt = row.startedAt; seen.entryType = row.entryType; }
    if (row.endedAt >= seen.endedAt) { seen.endedAt = row.endedAt; seen.exitType = row.exitType; }
    seen.eventCount += row.eventCount;
  }
  return out;
}
