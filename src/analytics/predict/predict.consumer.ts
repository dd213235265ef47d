/**
 * The `analytics-predict` projection: every event of a person counts its type after each suffix
 * of the person's context (the session's latest types, SESSION_START at the front while the
 * session's start is within reach), the counts the next-action model (markov.ts) predicts from.
 * A new session (another client session id, or the inactivity gap, or another source app for
 * events without session ids) starts from [SESSION_START], so sessions never leak into each
 * other. Increments are summed over the batch and written as one upsert per (context, type);
 * counts are sums, so any order of batches and partitions ends with the same rows.
 */
import type { ConsumerDefinition } from '../../events/consumers/consumer.registry.js';
import { actorOf } from '../../platform/actor.js';
import type { LogEntry } from '../../ports/events.types.js';
import { effectiveContext, SESSION_START } from './markov.js';
import { continuesSession } from './person-contexts.js';
import { contextKey, type CountDeltas, type PersonContextRow, type PredictStore } from './predict.store.js';

export const PREDICT_CONSUMER = 'analytics-predict';

/** Whether the person's event continues the session of their context row. */
export function continues(row: PersonContextRow, e: { time: number; sessionId: string | null; sourceApp: string | null }, gapMs: number): boolean {
  if (e.sessionId === null || row.sessionId === null) {
    if ((e.sourceApp ?? '') !== row.sourceApp) return false;
  }
  return continuesSession(row, e.time, e.sessionId, gapMs);
}

/** The context (oldest first, with SESSION_START while the session's start is within `maxOrder`) before the person's next event. */
export function contextOf(row: PersonContextRow, maxOrder: number): string[] {
  return row.sessionLength <= maxOrder ? [SESSION_START, ...row.recent] : [...row.recent];
}

/** The keys of a context's suffixes, order 0 (`[]`) first. */
export function suffixKeys(symbols: readonly string[]): string[] {
  const keys: string[] = [];
  for (let order = 0; order <= symbols.length; order += 1) keys.push(contextKey(symbols.slice(symbols.length - order)));
  return keys;
}

function count(deltas: CountDeltas, key: string, type: string): void {
  const next = deltas.get(key) ?? new Map<string, number>();
  next.set(type, (next.get(type) ?? 0) + 1);
  deltas.set(key, next);
}

export function predictConsumer(store: PredictStore, options: { maxOrder: number; gapMs: number }): ConsumerDefinition {
  const { maxOrder, gapMs } = options;
  return {
    name: PREDICT_CONSUMER,
    description: 'Counts each tenant\'s next-action transitions (variable-order Markov model within sessions) and each person\'s current context',
    types: ['*'],
    delivery: 'durable',
    // By actor (the user id, else the anonymous id): an anonymous visitor's sequence counts too,
    // and the route follows the ids stitched to a user (analytics-sessions' links).
    orderBy: 'actor',
    batchSize: 512,
    async handleBatch(entries, tx) {
      const byTenant = new Map<string, Array<{ e: LogEntry; actor: string }>>();
      for (const e of entries) {
        const actor = actorOf(e);
        if (actor === null) continue;
        const list = byTenant.get(e.tenantId);
        if (list) list.push({ e, actor });
        else byTenant.set(e.tenantId, [{ e, actor }]);
      }
      for (const [tenantId, events] of byTenant) {
        const users = [...new Set(events.map((x) => x.actor))];
        const persons = new Map((await store.loadPersons(tx, tenantId, users)).map((r) => [r.userId, r]));
        const deltas: CountDeltas = new Map();
        for (const { e, actor: userId } of events) {
          const known = persons.get(userId);
          const continuing = known !== undefined && continues(known, e, gapMs);
          const previous = continuing ? contextOf(known, maxOrder) : [SESSION_START];
          for (const key of suffixKeys(effectiveContext(previous, maxOrder))) count(deltas, key, e.type);
          const row: PersonContextRow = continuing ? known : { tenantId, userId, recent: [], sessionLength: 0, sessionId: null, sourceApp: '', lastTime: e.time, events: known?.events ?? 0 };
          row.recent = [...row.recent, e.type].slice(-maxOrder);
          row.sessionLength += 1;
          row.sessionId = e.sessionId;
          row.sourceApp = e.sourceApp ?? '';
          row.lastTime = Math.max(row.lastTime, e.time);
          row.events += 1;
          persons.set(userId, row);
        }
        await store.addCounts(tx, tenantId, deltas);
        await store.savePersons(tx, [...persons.values()]);
      }
    },
    rebuildTenant: (tenantId, tx) => store.clearTenant(tx, tenantId),
  };
}
