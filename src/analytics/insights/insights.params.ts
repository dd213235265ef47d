/**
 * Query values of the insights routes that a schema alone cannot check: lists of types, spans
 * like `14d`, and time ranges. Each problem answers 400 naming its parameter.
 */
import { EVENT_TYPE_REGEX } from '../../events/catalog/builtin-types.js';
import { optionalInstant } from '../../http/instants.js';
import { AppError } from '../../platform/errors.js';

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;
/** Longest time range an insight reads (from … to). */
export const MAX_RANGE_DAYS = 366;
/** Longest funnel conversion window. */
export const MAX_WINDOW_DAYS = 90;
/** Rows one answer reads at most; past it the answer counts the earliest and says `truncated`. */
export const MAX_ROWS = 500_000;
export const MAX_TYPE_LENGTH = 128;

/** A comma-separated list of event types (`a,b,c`), `min` … `max` of them. */
export const TYPE_LIST_PATTERN = '^[a-z0-9][a-z0-9_.,-]*$';

export function invalid(pointer: string, detail: string): AppError {
  return new AppError('VALIDATION_FAILED', { detail: `${pointer.slice(1)}: ${detail}`, errors: [{ pointer, detail }] });
}

/** The types of a comma-separated list, each a valid type name. */
export function typeList(value: string, pointer: string, min: number, max: number): string[] {
  const types = value.split(',');
  if (types.length < min || types.length > max) throw invalid(pointer, `give ${min} to ${max} event types, not ${types.length}`);
  for (const t of types) {
    if (t.length > MAX_TYPE_LENGTH || !EVENT_TYPE_REGEX.test(t)) throw invalid(pointer, `${t.slice(0, 40) || '(empty)'} is not an event type`);
  }
  return types;
}

const UNIT_MS: Readonly<Record<string, number>> = { m: 60_000, h: HOUR_MS, d: DAY_MS, w: 7 * DAY_MS };

/** Milliseconds of a span such as `30m`, `2h`, `14d`, `2w` (the schema checks the shape). */
export function span(value: string, pointer: string, maxMs: number): number {
  const ms = Number(value.slice(0, -1)) * UNIT_MS[value.slice(-1)]!;
  if (!(ms > 0) || ms > maxMs) throw invalid(pointer, `must be more than 0 and at most ${maxMs / DAY_MS} days`);
  return ms;
}

/** [from, to) of optional ISO 8601 values: `to` defaults to now, `from` to `defaultMs` before it; `names` are their pointers. */
export function range(from: string | undefined, to: string | undefined, defaultMs: number, names: readonly [string, string] = ['/from', '/to'], maxDays = MAX_RANGE_DAYS): { from: number; to: number } {
  const end = optionalInstant(to, names[1]) ?? Date.now();
  const start = optionalInstant(from, names[0]) ?? end - defaultMs;
  if (start >= end) throw invalid(names[0], `must be before ${names[1].slice(1)}`);
  if (end - start > maxDays * DAY_MS) throw invalid(names[0], `the range may span at most ${maxDays} days`);
  return { from: start, to: end };
}
