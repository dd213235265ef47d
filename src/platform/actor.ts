/**
 * Who an event is about when it names no user: the anonymous id it carries (`data.anonymousId`,
 * as Segment messages and native events with both ids do). The analytics count a person's
 * anonymous activity under this id until an identify or alias stitches it to a user.
 */
import { MAX_ID_LENGTH } from './ids.js';

interface ActorFields { userId: string | null; data: unknown }

/** The anonymous id an event carries in `data.anonymousId`, when it is a usable id. */
export function anonymousIdIn(data: unknown): string | null {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return null;
  const id = (data as { anonymousId?: unknown }).anonymousId;
  return typeof id === 'string' && id !== '' && id.length <= MAX_ID_LENGTH ? id : null;
}

/** The event's user id, else its anonymous id, else null. */
export function actorOf(event: ActorFields): string | null {
  return event.userId ?? anonymousIdIn(event.data);
}
