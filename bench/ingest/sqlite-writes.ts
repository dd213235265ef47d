/**
 * Counts what the server process writes to SQLite, for the write-amplification figures: every
 * statement better-sqlite3 runs goes through `Statement.prototype.{run,all,get,iterate}`, so the
 * bench server wraps those (before the store opens) and counts the INSERT, UPDATE and DELETE
 * statements and the commits. Rows changed come from `total_changes()` on the server's own
 * connection; bytes written to disk (WAL frames and checkpoints) from /proc/self/io.
 *
 * Works for any release whose SQLite adapter uses better-sqlite3 (the previous one too).
 */
import { readFileSync } from 'node:fs';
import BetterSqlite3 from 'better-sqlite3';

export interface SqliteWrites {
  inserts: number;
  updates: number;
  deletes: number;
  /** INSERT + UPDATE + DELETE statements run. */
  statements: number;
  commits: number;
  /** Rows inserted, updated or deleted (`total_changes()` of the server's connection). */
  rowsChanged: number;
  /** Bytes this process caused to be written to storage (`write_bytes` of /proc/self/io). */
  diskBytes: number;
  /** Time in SQLite per statement text (the profile attributes it all to the caller), busiest first. */
  time: StatementTime[];
}

export interface StatementTime { sql: string; calls: number; ms: number }

const counts = { inserts: 0, updates: 0, deletes: 0, commits: 0 };
let connection: BetterSqlite3.Database | null = null;
const kindOf = new Map<string, keyof typeof counts | null>();
const timeOf = new Map<string, StatementTime>();

function classify(source: string): keyof typeof counts | null {
  let kind = kindOf.get(source);
  if (kind !== undefined) return kind;
  // A statement's first keyword after any comments and a WITH prefix (Kysely writes none, but cheap).
  const word = /^\s*(?:with\b[\s\S]*?\)\s*)?(\w+)/i.exec(source.replace(/--[^\n]*\n/g, ''))?.[1]?.toLowerCase();
  kind = word === 'insert' || word === 'replace' ? 'inserts' : word === 'update' ? 'updates' : word === 'delete' ? 'deletes'
    : word === 'commit' || word === 'end' ? 'commits' : null;
  kindOf.set(source, kind);
  return kind;
}

/** Wraps the statement methods once; call before the server opens its database. */
export function countSqliteWrites(): void {
  const probe = new BetterSqlite3(':memory:');
  const proto = Object.getPrototypeOf(probe.prepare('select 1')) as Record<string, (...args: unknown[]) => unknown>;
  probe.close();
  for (const method of ['run', 'all', 'get', 'iterate']) {
    const original = proto[method]!;
    proto[method] = function counted(this: BetterSqlite3.Statement, ...args: unknown[]) {
      const kind = classify(this.source);
      if (kind !== null) {
        counts[kind] += 1;
        if (kind !== 'commits') connection ??= this.database;
      }
      const started = performance.now();
      try {
        return original.apply(this, args);
      } finally {
        const entry = timeOf.get(this.source) ?? { sql: this.source, calls: 0, ms: 0 };
        entry.calls += 1;
        entry.ms += performance.now() - started;
        timeOf.set(this.source, entry);
      }
    };
  }
}

function diskBytes(): number {
  const line = /^write_bytes: (\d+)$/m.exec(readFileSync('/proc/self/io', 'utf8'));
  return line ? Number(line[1]) : Number.NaN;
}

export function sqliteWrites(): SqliteWrites {
  const rowsChanged = connection ? Number(connection.prepare('select total_changes()').pluck().get()) : 0;
  const time = [...timeOf.values()].sort((a, b) => b.ms - a.ms).slice(0, 40).map((t) => ({ ...t }));
  return { ...counts, statements: counts.inserts + counts.updates + counts.deletes, rowsChanged, diskBytes: diskBytes(), time };
}
