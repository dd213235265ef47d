/**
 * Each person's recent event types within their current session: the context the next-action
 * model predicts from and learns with. A session is the caller's session id when both events
 * carry one, otherwise it ends after 30 minutes without events. A new session starts from
 * [SESSION_START], so the previous session's types never leak into the next one.
 * Memory is bounded: `maxOrder` types per person, `maxPersons` persons (least recent evicted).
 */
import { SESSION_START } from './markov.js';

export const SESSION_GAP_MS = 30 * 60 * 1000;

/**
 * Whether an event at `time` (ms) in `sessionId` continues the session whose latest event came at
 * `last.lastTime` in `last.sessionId`: the same client session when both carry one, otherwise
 * within the inactivity gap (out-of-order times count as no gap rather than a negative one).
 */
export function continuesSession(last: { sessionId?: string | null; lastTime: number }, time: number, sessionId: string | null | undefined, gapMs: number): boolean {
  if (sessionId != null && last.sessionId != null) return sessionId === last.sessionId;
  return time - last.lastTime <= gapMs;
}

interface PersonState {
  sessionId: string | undefined;
  lastTime: number;
  /** The latest types of the session, oldest first, at most maxOrder. */
  recent: string[];
  /** Events in the session so far (to know whether its start is within `recent`). */
  sessionLength: number;
}

export interface PersonContextsOptions {
  maxOrder?: number;
  maxPersons?: number;
  sessionGapMs?: number;
}

export class PersonContexts {
  private readonly persons = new Map<string, PersonState>();
  private readonly maxOrder: number;
  private readonly maxPersons: number;
  private readonly sessionGapMs: number;
  private sessions = 0;

  constructor(options: PersonContextsOptions = {}) {
    this.maxOrder = options.maxOrder ?? 3;
    this.maxPersons = options.maxPersons ?? 100_000;
    this.sessionGapMs = options.sessionGapMs ?? SESSION_GAP_MS;
  }

  /** Sessions started so far (each person's first event starts one). */
  get sessionCount(): number {
    return this.sessions;
  }

  get personCount(): number {
    return this.persons.size;
  }

  /** Whether an event of the person at `time` (ms) in `sessionId` starts a new session. */
  startsSession(personKey: string, time: number, sessionId?: string): boolean {
    const state = this.persons.get(personKey);
    return !state || !continuesSession(state, time, sessionId, this.sessionGapMs);
  }

  /** The context (oldest first) before the person's event at `time` in `sessionId`. */
  contextAt(personKey: string, time: number, sessionId?: string): string[] {
    if (this.startsSession(personKey, time, sessionId)) return [SESSION_START];
    const state = this.persons.get(personKey)!;
    return state.sessionLength <= this.maxOrder ? [SESSION_START, ...state.recent] : [...state.recent];
  }

  /** Records the person's event, after it was predicted and learned from. */
  record(personKey: string, type: string, time: number, sessionId?: string): void {
    const starts = this.startsSession(personKey, time, sessionId);
    let state = this.persons.get(personKey);
    if (state) this.persons.delete(personKey); // re-inserted below: Map order is recency
    if (!state || starts) {
      state = { sessionId, lastTime: time, recent: [], sessionLength: 0 };
      this.sessions += 1;
    }
    state.sessionId = sessionId;
    state.lastTime = Math.max(state.lastTime, time);
    state.recent.push(type);
    if (state.recent.length > this.maxOrder) state.recent.shift();
    state.sessionLength += 1;
    this.persons.set(personKey, state);
    if (this.persons.size > this.maxPersons) this.persons.delete(this.persons.keys().next().value!);
  }
}
