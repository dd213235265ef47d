/**
 * Rows read for one insight, held as columns: typed arrays of small integers (people, types and
 * sessions interned once) instead of one object per row, so a million rows fit in tens of MB
 * and the computations walk arrays. Pure; the SQL adapter fills them.
 */

/** Strings to dense ids (0, 1, 2, …), shared by the reads of one answer. */
export class Interner {
  readonly names: string[] = [];
  private readonly ids = new Map<string, number>();

  id(name: string): number {
    let id = this.ids.get(name);
    if (id === undefined) {
      id = this.names.length;
      this.ids.set(name, id);
      this.names.push(name);
    }
    return id;
  }

  /** The id of `name`, or -1 when it was never seen. */
  find(name: string): number {
    return this.ids.get(name) ?? -1;
  }

  get size(): number {
    return this.names.length;
  }
}

/** Row i is the event of person[i] at time[i] (ms) with log position seq[i], of type types.names[type[i]]. */
export interface EventColumns {
  length: number;
  person: Int32Array;
  time: Float64Array;
  seq: Float64Array;
  type: Int32Array;
  /** Session ids (a session is one actor's session key); -1 where sessions were not read. */
  session: Int32Array;
  /** The breakdown property of each row as text; only filled when a breakdown was asked for. */
  value: Array<string | null> | null;
  /** True when the read stopped at its row cap: the figures count the earliest rows only. */
  truncated: boolean;
}

/** Growable columns: the adapter pushes rows, `finish` trims the arrays to their length. */
export class ColumnsBuilder {
  private size = 0;
  private person = new Int32Array(1024);
  private time = new Float64Array(1024);
  private seq = new Float64Array(1024);
  private type = new Int32Array(1024);
  private session = new Int32Array(1024);
  private readonly value: Array<string | null> | null;

  constructor(withValues: boolean) {
    this.value = withValues ? [] : null;
  }

  get length(): number {
    return this.size;
  }

  push(person: number, time: number, seq: number, type: number, session: number, value: string | null = null): void {
    if (this.size === this.person.length) this.grow();
    const i = this.size++;
    this.person[i] = person; this.time[i] = time; this.seq[i] = seq; this.type[i] = type; this.session[i] = session;
    this.value?.push(value);
  }

  finish(truncated: boolean): EventColumns {
    const n = this.size;
    return {
      length: n, person: this.person.slice(0, n), time: this.time.slice(0, n), seq: this.seq.slice(0, n),
      type: this.type.slice(0, n), session: this.session.slice(0, n), value: this.value, truncated,
    };
  }

  private grow(): void {
    const size = this.person.length * 2;
    const widen = <A extends Int32Array | Float64Array>(a: A, make: (n: number) => A): A => { const b = make(size); b.set(a); return b; };
    this.person = widen(this.person, (n) => new Int32Array(n));
    this.time = widen(this.time, (n) => new Float64Array(n));
    this.seq = widen(this.seq, (n) => new Float64Array(n));
    this.type = widen(this.type, (n) => new Int32Array(n));
    this.session = widen(this.session, (n) => new Int32Array(n));
  }
}

/** Rows grouped by a key column (person or session), each group in time order (ties by log position). */
export interface Groups {
  /** Row indices, group after group. */
  order: Int32Array;
  /** Group g's rows are order[start[g]] … order[start[g + 1] - 1]. */
  start: Int32Array;
  count: number;
}

/**
 * Groups rows by `key` (ids 0 … keys − 1; negative keys are left out) with a counting sort, then
 * sorts each group by time and log position: groups are small, so this stays near linear.
 */
export function groupBy(columns: EventColumns, key: Int32Array, keys: number): Groups {
  const start = new Int32Array(keys + 1);
  for (let i = 0; i < columns.length; i++) if (key[i]! >= 0) start[key[i]! + 1]! += 1;
  for (let g = 0; g < keys; g++) start[g + 1]! += start[g]!;
  const fill = start.slice(0, keys);
  const order = new Int32Array(start[keys]!);
  for (let i = 0; i < columns.length; i++) {
    const k = key[i]!;
    if (k >= 0) order[fill[k]!++] = i;
  }
  const { time, seq } = columns;
  const before = (a: number, b: number) => time[a]! - time[b]! || seq[a]! - seq[b]!;
  for (let g = 0; g < keys; g++) {
    const from = start[g]!;
    const to = start[g + 1]!;
    if (to - from > 1) order.subarray(from, to).sort(before);
  }
  return { order, start, count: keys };
}

/** Median of numbers (the mean of the two middle ones for an even count); null when empty. */
export function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** A ratio rounded to 4 places; null when nothing was there to divide by. */
export function ratio(part: number, whole: number): number | null {
  return whole === 0 ? null : Math.round((part / whole) * 10_000) / 10_000;
}

/** Seconds rounded to milliseconds. */
export const seconds = (ms: number): number => Math.round(ms) / 1000;
