/**
 * The `analytics-sessions` projection: every event about someone (its user id, else the
 * anonymous id it carries) extends or opens one of that actor's sessions (sessionize.ts) and is
 * recorded with its session in `analytics_events`; identify and alias facts stitch ids to users
 * (`analytics_person_links`). Ordered by actor, so one actor's events apply in log order; the
 * rows commit with the consumer's position (exactly once); a replay rebuilds the tenant.
 */
import type { ConsumerDefinition } from '../../events/consumers/consumer.registry.js';
import { actorOf, anonymousIdIn } from '../../platform/actor.js';
import { MAX_ID_LENGTH } from '../../platform/ids.js';
import type { LogEntry } from '../../ports/events.types.js';
import { applyEvent, clientSessionKey, type PersonSessions, type SessionEvent } from './sessionize.js';
import type { AnalyticsEvent, PersonLink, PersonRef, SessionsStore } from './sessions.store.js';

export const SESSIONS_CONSUMER = 'analytics-sessions';
/** The log's type of a Segment alias (its `data.previousId` becomes the user). */
const ALIAS_TYPE = 'user.aliased';

const personKey = (tenantId: string, actor: string) => `${tenantId}\u0000${actor}`;

/**
 * The ids an event stitches to its user: the anonymous id it carries, and an alias's previous
 * id. A member's own events link nothing: an end user must not claim another person's
 * anonymous history (the identity feature applies the same rule to traits).
 */
export function linksOf(e: LogEntry): PersonLink[] {
  if (e.userId === null || e.senderRole === 'member') return [];
  const links: PersonLink[] = [];
  const anonymous = anonymousIdIn(e.data);
  if (anonymous !== null && anonymous !== e.userId) links.push({ tenantId: e.tenantId, id: anonymous, to: e.userId, at: e.time });
  if (e.type === ALIAS_TYPE && e.data !== null && typeof e.data === 'object') {
    const previous = (e.data as { previousId?: unknown }).previousId;
    if (typeof previous === 'string' && previous !== '' && previous.length <= MAX_ID_LENGTH && previous !== e.userId) {
      links.push({ tenantId: e.tenantId, id: previous, to: e.userId, at: e.time });
    }
  }
  return links;
}

export function sessionsConsumer(store: SessionsStore, gapMs: number): ConsumerDefinition {
  return {
    name: SESSIONS_CONSUMER,
    description: 'Keeps each person\'s sessions (client session ids, or 30 minutes of inactivity per source app), events and stitched ids',
    types: ['*'],
    delivery: 'durable',
    orderBy: 'actor',
    batchSize: 512,
    async handleBatch(entries, tx) {
      const about: Array<{ entry: LogEntry; event: SessionEvent }> = [];
      for (const entry of entries) {
        const actor = actorOf(entry);
        if (actor === null) continue;
        about.push({ entry, event: { seq: entry.seq, tenantId: entry.tenantId, userId: actor, sessionId: entry.sessionId, sourceApp: entry.sourceApp, type: entry.type, time: entry.time } });
      }
      if (about.length === 0) return;
      const persons = new Map<string, PersonRef>();
      const clientKeys = new Map<string, Set<string>>();
      for (const { event: e } of about) {
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
      const recorded: AnalyticsEvent[] = about.map(({ entry, event: e }) => ({
        tenantId: e.tenantId, eventId: entry.id, seq: entry.seq, time: entry.time, type: entry.type, category: entry.category,
        sourceApp: entry.sourceApp ?? '', actor: e.userId, sessionKey: applyEvent(state.get(personKey(e.tenantId, e.userId))!, e, gapMs),
      }));
      await store.save(tx, [...state.values()].flatMap((p) => [...p.touched]), recorded);
      const links = about.flatMap(({ entry }) => linksOf(entry));
      if (links.length > 0) await store.link(tx, links);
    },
    rebuildTenant: (tenantId, tx) => store.clearTenant(tx, tenantId),
  };
}
