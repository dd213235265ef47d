/** The categorizer store over Kysely, one adapter for SQLite and PostgreSQL. */
import { sql, type Kysely } from 'kysely';
import type { EventIntent, IntentMethod } from './intents.port.js';
import { MAX_INTENT_COUNTS } from './intents.port.js';
import type { CategorizerStore, IntentRow } from './categorizer.store.js';
import type { StoredSettings } from './settings.js';
import { chunks, compareText } from '../platform/lists.js';

interface IntentsTable {
  tenant_id: string;
  event_id: string;
  user_id: string | null;
  time: number;
  intent: string;
  category: string;
  confidence: number;
  method: string;
  labels_version: number;
}

interface SettingsTable {
  tenant_id: string;
  version: number;
  rules: string | null;
  labels: string | null;
  threshold: number | null;
  updated_at: number;
}

interface CategorizerTables { event_intents: IntentsTable; categorizer_settings: SettingsTable }

/** Rows per statement: 9 parameters each, within both engines' limits. */
const WRITE_CHUNK = 200;
const READ_CHUNK = 500;



const toIntent = (r: IntentsTable): EventIntent => ({
  eventId: r.event_id, userId: r.user_id, time: Number(r.time), intent: r.intent, category: r.category,
  confidence: Number(r.confidence), method: r.method as IntentMethod, labelsVersion: Number(r.labels_version),
});

const toTable = (r: IntentRow): IntentsTable => ({
  tenant_id: r.tenantId, event_id: r.eventId, user_id: r.userId, time: r.time, intent: r.intent, category: r.category,
  confidence: r.confidence, method: r.method, labels_version: r.labelsVersion,
});

const toSettings = (r: Pick<SettingsTable, 'version' | 'rules' | 'labels' | 'threshold'>): StoredSettings => ({
  version: Number(r.version),
  rules: r.rules === null ? null : JSON.parse(r.rules),
  labels: r.labels === null ? null : JSON.parse(r.labels),
  threshold: r.threshold === null ? null : Number(r.threshold),
});

const json = (value: unknown) => (value === null || value === undefined ? null : JSON.stringify(value));

export function sqlCategorizerStore(db: Kysely<any>): CategorizerStore {
  const kdb = db as Kysely<CategorizerTables>;
  return {
    async save(rows) {
      // Key order: concurrent writers (a replay beside the live position) lock rows in one order.
      const sorted = [...rows].sort((a, b) => compareText(`${a.tenantId}\u0000${a.eventId}`, `${b.tenantId}\u0000${b.eventId}`));
      for (const part of chunks(sorted, WRITE_CHUNK)) {
        await kdb.insertInto('event_intents').values(part.map(toTable))
          .onConflict((oc) => oc.columns(['tenant_id', 'event_id']).doUpdateSet((eb) => ({
            user_id: eb.ref('excluded.user_id'), time: eb.ref('excluded.time'), intent: eb.ref('excluded.intent'),
            category: eb.ref('excluded.category'), confidence: eb.ref('excluded.confidence'), method: eb.ref('excluded.method'),
            labels_version: eb.ref('excluded.labels_version'),
          })).where(sql<boolean>`event_intents.labels_version <= excluded.labels_version`))
          .execute();
      }
    },
    async intentsOf(tenantId, eventIds, tx) {
      const reader = (tx?.db ?? db) as Kysely<CategorizerTables>;
      const out = new Map<string, EventIntent>();
      for (const part of chunks([...new Set(eventIds)], READ_CHUNK)) {
        const rows = await reader.selectFrom('event_intents').selectAll().where('tenant_id', '=', tenantId).where('event_id', 'in', part).execute();
        for (const r of rows) out.set(r.event_id, toIntent(r));
      }
      return out;
    },
    async intentCountsOfUser(tenantId, userId, from, to, tx) {
      const reader = (tx?.db ?? db) as Kysely<CategorizerTables>;
      const rows = await reader.selectFrom('event_intents')
        .select(['intent', 'category', (eb) => eb.fn.countAll<number | string>().as('count')])
        .where('tenant_id', '=', tenantId).where('user_id', '=', userId).where('time', '>=', from).where('time', '<', to)
        .groupBy(['intent', 'category'])
        .orderBy('count', 'desc').orderBy('intent').orderBy('category')
        .limit(MAX_INTENT_COUNTS)
        .execute();
      return rows.map((r) => ({ intent: r.intent, category: r.category, count: Number(r.count) }));
    },
    async ofUser(tenantId, userId) {
      const rows = await kdb.selectFrom('event_intents').selectAll().where('tenant_id', '=', tenantId).where('user_id', '=', userId)
        .orderBy('time').orderBy('event_id').execute();
      return rows.map(toIntent);
    },
    async eraseUser(tenantId, userId) {
      const result = await kdb.deleteFrom('event_intents').where('tenant_id', '=', tenantId).where('user_id', '=', userId).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
    async settings(tenantIds) {
      const out = new Map<string, StoredSettings>();
      for (const part of chunks([...new Set(tenantIds)], READ_CHUNK)) {
        const rows = await kdb.selectFrom('categorizer_settings').selectAll().where('tenant_id', 'in', part).execute();
        for (const r of rows) out.set(r.tenant_id, toSettings(r));
      }
      return out;
    },
    async updateSettings(tenantId, change, now) {
      const row = await kdb.insertInto('categorizer_settings')
        .values({ tenant_id: tenantId, version: 1, rules: json(change.rules), labels: json(change.labels), threshold: change.threshold ?? null, updated_at: now })
        .onConflict((oc) => oc.column('tenant_id').doUpdateSet((eb) => ({
          version: sql<number>`categorizer_settings.version + 1`,
          updated_at: eb.ref('excluded.updated_at'),
          ...(change.rules !== undefined ? { rules: eb.ref('excluded.rules') } : {}),
          ...(change.labels !== undefined ? { labels: eb.ref('excluded.labels') } : {}),
          ...(change.threshold !== undefined ? { threshold: eb.ref('excluded.threshold') } : {}),
        })))
        .returning(['version', 'rules', 'labels', 'threshold'])
        .executeTakeFirstOrThrow();
      return toSettings(row);
    },
  };
}
