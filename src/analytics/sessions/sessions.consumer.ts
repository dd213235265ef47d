/**
 * The `analytics-sessions` projection: every event with a user id extends or opens one of that
 * person's sessions (sessionize.ts), and the event's session is recorded beside it. Ordered by
 * user, so one person's events apply in log order; the rows commit with the consumer's position
 * (exactly once); a replay rebuilds the tenant from its log.
 */
import type { ConsumerDefinition } from '../../events/consumers/consumer.registry.js';
import type { LogEntry } from '../../ports/events.types.js';
import { applyEvent, clientSessionKey, type PersonSessions, type SessionEvent } from './sessionize.js';
import type { PersonRef, SessionsStore } from './sessions.store.js';

export const SESSIONS_CONSUMER = 'analytics-sessions';

const personKey = (tenantId: string, userId: string) => `${tenantId}\u0000${userId}`;

function sessionEvent(e: LogEntry): SessionEvent | null {
  if (e.userId === null) return null;
  return { seq: e.seq, tenantId: e.tenantId, userId: e.userId, sessionId: e.sessionId, sourceApp: e.sourceApp, type: e.type, time: e.time };
}

export function sessionsConsumer(store: SessionsStore, gapMs: number): ConsumerDefinition {
  return {
    name: SESSIONS_CONSUMER,
    description: 'Keeps each person\'s sessions (client session ids, or 30 minutes of inactivity per source app)',
    types: ['*'],
    delivery: 'durable',
    orderBy: 'userId',
    batchSize: 512,
    async handleBatch(entries, tx) {
      const withUser = entries.filter((e) => e.userId !== null);
      const events = withUser.map(sessionEvent).filter((e): e is SessionEvent => e !== null);
      const ids = withUser.map((e) => e.id);
      if (events.length === 0) return;
      const persons = new Map<string, PersonRef>();
      const clientKeys = new Map<string, Set<string>>();
      for (const e of events) {
        const key = personKey(e.tenantId, e.userId);
        persons.set(key, { tenantId: e.tenantId, userId: e.userId });
        if (e.sessionId !== null) clientKeys.set(key, (clientKeys.get(key) ?? new Set()).add(clientSessionKey(e.sessionId)));
      }
      const state = new Map<string, PersonSessions>([...persons.keys()].map((k) => [k, { byKey: new Map(), latestDerived: new Map(), touched: new Set() }]));
      for (const row of await store.load(tx, [...persons.values()], clientKeys)) {
        const person = state.get(personKey(row.tenantId, row.userId))!;
        if (row.derived) person.latestDerived.set(row.sourceApp, row);
        else person.byKey.set(row.key, row);
      }
      const assigned = events.map((e, i) => ({
        tenantId: e.tenantId, eventId: ids[i]!, userId: e.userId, sessionKey: applyEvent(state.get(personKey(e.tenantId, e.userId))!, e, gapMs),
      }));
      await store.save(tx, [...state.values()].flatMap((p) => [...p.touched]), assigned);
    },
    rebuildTenant: (tenantId, tx) => store.clearTenant(tx, tenantId),
  };
}
