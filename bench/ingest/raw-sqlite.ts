/**
 * Phase (a), the ceiling: the same event rows the server writes, inserted straight into a fresh
 * SQLite file (the project's migrations, the same pragmas) with better-sqlite3 prepared
 * statements, 100 rows per transaction, each with its position in the log (`seq`) as the server
 * gives it.
 */
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { createSqliteStore } from '../../src/adapters/sql/sqlite.store.js';
import { anonymousIdOf } from '../../src/adapters/sql/events.sql.js';
import { toEventRow } from '../../src/adapters/sql/rows.js';
import { newId } from '../../src/platform/ids.js';
import type { EventRecord } from '../../src/ports/events.types.js';
import { sampleEvent } from './bodies.js';

export interface RawResult { eventsPerSecond: number; events: number; seconds: number }

const COLUMNS = ['id', 'tenant_id', 'type', 'source', 'subject', 'user_id', 'session_id', 'category', 'source_app', 'time', 'received_at', 'idempotency_key', 'data', 'sender_role', 'anonymous_id', 'seq'] as const;

function eventRecord(i: number, receivedAt: number): EventRecord {
  const item = sampleEvent(i);
  return {
    id: newId(receivedAt), tenantId: 'bench-tenant', type: item.type, source: '/tenants/demo', subject: null,
    userId: item.userId, sessionId: item.sessionId, category: 'usage', sourceApp: null,
    time: receivedAt, receivedAt, idempotencyKey: null, senderRole: 'ingest', data: item.data,
  };
}

/** Inserts 100-row transactions for `seconds`. */
export async function rawInserts(dir: string, seconds: number): Promise<RawResult> {
  const filename = join(dir, 'raw-events.db');
  const store = createSqliteStore({ filename });
  await store.migrate();
  await store.close();
  const db = new BetterSqlite3(filename);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  db.pragma('cache_size = -65536');
  const insertEvent = db.prepare(`insert into events (${COLUMNS.join(', ')}) values (${COLUMNS.map(() => '?').join(', ')})`);
  let seq = 0;
  const insertBatch = db.transaction((events: EventRecord[]) => {
    for (const event of events) {
      const row: Record<string, unknown> = { ...toEventRow(event), anonymous_id: anonymousIdOf(event), seq: ++seq };
      insertEvent.run(COLUMNS.map((c) => row[c]));
    }
  });
  let events = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  while (performance.now() < deadline) {
    const receivedAt = Date.now();
    insertBatch(Array.from({ length: 100 }, (_, i) => eventRecord(events + i, receivedAt)));
    events += 100;
  }
  const elapsed = (performance.now() - started) / 1000;
  db.close();
  return { eventsPerSecond: events / elapsed, events, seconds: elapsed };
}
