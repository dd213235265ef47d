/**
 * The identity facts a stored Segment event carries (its `data` is sanitised already): traits
 * of a user (or of an anonymous id not yet stitched), and links (anonymous id → user, previous
 * id → user, user → group). Only events of the Segment API count: the member checks there are
 * what make a link trustworthy, and other entry points may not use its source.
 */
import { SEGMENT_SOURCE } from '../../events/ingest/envelope.js';
import type { LogEntry } from '../../ports/events.types.js';

export type LinkKind = 'anonymous' | 'alias' | 'group';

export type IdentityFact =
  | { kind: 'traits'; userId: string; traits: Record<string, unknown> }
  | { kind: 'link'; link: LinkKind; fromId: string; toId: string };

/** The event types the identity projection reads. */
export const IDENTITY_EVENT_TYPES = ['user.identified', 'user.aliased', 'user.grouped'];

const isDict = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);
const idOf = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : null);

/** Facts in the order they apply: a link (and the traits it carries over) before the new traits. */
export function factsOf(event: Pick<LogEntry, 'type' | 'source' | 'userId' | 'data'>): IdentityFact[] {
  if (event.source !== SEGMENT_SOURCE || !isDict(event.data)) return [];
  const data = event.data;
  const userId = event.userId;
  const anonymousId = idOf(data.anonymousId);
  const owner = userId ?? anonymousId;
  switch (event.type) {
    case 'user.identified': {
      const facts: IdentityFact[] = [];
      if (anonymousId !== null && userId !== null && anonymousId !== userId) facts.push({ kind: 'link', link: 'anonymous', fromId: anonymousId, toId: userId });
      if (owner !== null && isDict(data.traits) && Object.keys(data.traits).length > 0) facts.push({ kind: 'traits', userId: owner, traits: data.traits });
      return facts;
    }
    case 'user.aliased': {
      const previousId = idOf(data.previousId);
      return previousId !== null && userId !== null && previousId !== userId ? [{ kind: 'link', link: 'alias', fromId: previousId, toId: userId }] : [];
    }
    case 'user.grouped': {
      const groupId = idOf(data.groupId);
      return owner !== null && groupId !== null ? [{ kind: 'link', link: 'group', fromId: owner, toId: groupId }] : [];
    }
    default:
      return [];
  }
}

/** Sets a property without ever touching a prototype (a `__proto__` trait stays a plain key). */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Whose a link is: the user an id was stitched to, or the member of a group. */
export function linkOwner(link: LinkKind, fromId: string, toId: string): string {
  return link === 'group' ? fromId : toId;
}
