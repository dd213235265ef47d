/**
 * A deterministic, realistic event log to measure the next-action model on: persons with an
 * archetype's habits (synthetic-archetypes.ts, order-2 chains), a fifth of their sessions in
 * a randomly drawn archetype's habits, random events as noise, sessions of varying length with
 * gaps under 30 minutes inside and over 30 minutes between, persons joining throughout `days`.
 * Half the persons' events carry a session id, so both ways of finding sessions are exercised.
 * Same seed, same log.
 */
import type { LoggedEvent } from './event-log.js';
import { ALL_TYPES, ARCHETYPES, END, type Archetype } from './synthetic-archetypes.js';
import { seededRandom } from '../../platform/random.js';

export interface SyntheticLogOptions {
  /** Persons are added until the log holds at least this many events (default 100,000). */
  events?: number;
  seed?: number;
  days?: number;
  /** Time of the log's start (ms; default 2026-11-01T00:00:00Z). */
  startTime?: number;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const MAX_SESSION_EVENTS = 40;
const OTHER_HABIT_SHARE = 0.2;
/** Mean time between a person's sessions, one per person: daily, a few times a week, weekly. */
const SESSION_GAP_MEANS = [24 * HOUR, 72 * HOUR, 192 * HOUR];

/** A key of `weights`, drawn in proportion to its weight. */
export function pick(random: () => number, weights: Record<string, number>): string {
  const entries = Object.entries(weights);
  let total = 0;
  for (const [, weight] of entries) total += weight;
  let draw = random() * total;
  for (const [key, weight] of entries) {
    draw -= weight;
    if (draw < 0) return key;
  }
  return entries[entries.length - 1]![0];
}

const exponential = (random: () => number, mean: number) => -mean * Math.log(1 - random());

/** An archetype, drawn by its share of the persons. */
export function pickArchetype(random: () => number): Archetype {
  let draw = random();
  for (const archetype of ARCHETYPES) {
    draw -= archetype.share;
    if (draw < 0) return archetype;
  }
  return ARCHETYPES[ARCHETYPES.length - 1]!;
}

/** One session's types following `habit`; noise events leave the habit's state where it was. */
export function sessionTypes(random: () => number, habit: Archetype): string[] {
  const types = [pick(random, habit.start)];
  let before = '^';
  let last = types[0]!;
  while (types.length < MAX_SESSION_EVENTS) {
    if (random() < habit.noise) {
      types.push(ALL_TYPES[Math.floor(random() * ALL_TYPES.length)]!);
      continue;
    }
    const next = pick(random, habit.afterPair[`${before} ${last}`] ?? habit.after[last] ?? { [END]: 1 });
    if (next === END) break;
    types.push(next);
    before = last;
    last = next;
  }
  return types;
}

export function generateSyntheticLog(options: SyntheticLogOptions = {}): LoggedEvent[] {
  const target = options.events ?? 100_000;
  const random = seededRandom(options.seed ?? 1);
  const start = options.startTime ?? Date.UTC(2026, 10, 1);
  const end = start + (options.days ?? 30) * 24 * HOUR;
  const events: LoggedEvent[] = [];
  for (let person = 0; events.length < target; person += 1) {
    const personId = `person-${person}`;
    const habit = pickArchetype(random);
    const withSessionIds = random() < 0.5;
    const gapMean = SESSION_GAP_MEANS[Math.floor(random() * SESSION_GAP_MEANS.length)]!;
    // Persons join throughout the period, as sign-ups do.
    let time = start + random() * (end - start);
    for (let session = 0; time < end; session += 1) {
      const sessionHabit = random() < OTHER_HABIT_SHARE ? ARCHETYPES[Math.floor(random() * ARCHETYPES.length)]! : habit;
      for (const type of sessionTypes(random, sessionHabit)) {
        const event: LoggedEvent = { personId, type, time: Math.round(time) };
        if (withSessionIds) event.sessionId = `${personId}-s${session}`;
        events.push(event);
        time += 3_000 + Math.min(exponential(random, 45_000), 25 * MINUTE);
      }
      time += 31 * MINUTE + exponential(random, gapMean);
    }
  }
  // Persons were generated one after the other; the log is in time order (stable for ties).
  return events.sort((a, b) => a.time - b.time);
}
