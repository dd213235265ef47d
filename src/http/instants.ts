/**
 * Query values of format `date-time`: the schema accepts the text, but some (a leap second, a
 * year past what `Date` holds) cannot be placed in time. Those answer 400 naming the parameter.
 */
import { AppError } from '../platform/errors.js';

/** Milliseconds since the epoch of a `date-time` query value; `pointer` names it (`/from`). */
export function instant(value: string, pointer: string): number {
  const ms = Date.parse(value);
  if (!Number.isFinite(ms)) {
    throw new AppError('VALIDATION_FAILED', { detail: `${pointer.slice(1)} ${value} is not a date-time this server can use`, errors: [{ pointer, detail: 'not a usable date-time' }] });
  }
  return ms;
}

/** `instant` of an optional value; `undefined` when it is absent. */
export function optionalInstant(value: string | undefined, pointer: string): number | undefined {
  return value === undefined ? undefined : instant(value, pointer);
}
