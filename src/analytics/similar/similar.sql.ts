/** The similar-people store over Kysely, one adapter for SQLite and PostgreSQL. */
import type { Kysely } from 'kysely';
import type { PersonProfileRow, SimilarStore } from './similar.store.js';
import { decodeVector, encodeVector, type Profile } from './similar.vector.js';
import { chunks, compareText } from '../../platform/lists.js';

interface PersonsTable {
  tenant_id: string; user_id: string; profile: string; text_vector: string | null; vector: string; events: number; last_event_id: string;
}
interface TextsTable { tenant_id: string; user_id: string; seq: number; text: string }
interface SimilarTables { analytics_similar_persons: PersonsTable; analytics_similar_texts: TextsTable }



const toRow = (r: PersonsTable): PersonProfileRow => ({
  tenantId: r.tenant_id, userId: r.user_id, profile: JSON.parse(r.profile) as Profile,
  textVector: r.text_vector === null ? null : decodeVector(r.text_vector), vector: decodeVector(r.vector),
  events: Number(r.events), lastEventId: r.last_event_id,
});

async function personsOf(db: Kysely<SimilarTables>, tenantId: string, userIds: string[]): Promise<PersonProfileRow[]> {
  const rows: PersonsTable[] = [];
  for (const part of chunks([...new Set(userIds)])) {
    rows.push(...await db.selectFrom('analytics_similar_persons').selectAll().where('tenant_id', '=', tenantId).where('user_id', 'in', part).execute());
  }
  return rows.map(toRow);
}

export function sqlSimilarStore(db: Kysely<any>): SimilarStore {
  const reader = db as Kysely<SimilarTables>;
  return {
    load: (tx, tenantId, userIds) => personsOf(tx.db as Kysely<SimilarTables>, tenantId, userIds),
    async save(tx, rows) {
      const trx = tx.db as Kysely<SimilarTables>;
      const sorted = [...rows].sort((a, b) => compareText(`${a.tenantId}\u0000${a.userId}`, `${b.tenantId}\u0000${b.userId}`));
      for (const part of chunks(sorted, 50)) {
        await trx.insertInto('analytics_similar_persons').values(part.map((r) => ({
          tenant_id: r.tenantId, user_id: r.userId, profile: JSON.stringify(r.profile),
          text_vector: r.textVector ? encodeVector(r.textVector) : null, vector: encodeVector(r.vector), events: r.events, last_event_id: r.lastEventId,
        })))
          .onConflict((oc) => oc.columns(['tenant_id', 'user_id']).doUpdateSet((eb) => ({
            profile: eb.ref('excluded.profile'), text_vector: eb.ref('excluded.text_vector'), vector: eb.ref('excluded.vector'),
            events: eb.ref('excluded.events'), last_event_id: eb.ref('excluded.last_event_id'),
          })))
          .execute();
      }
    },
    async addTexts(tx, tenantId, texts, keep) {
      const trx = tx.db as Kysely<SimilarTables>;
      for (const part of chunks(texts)) {
        await trx.insertInto('analytics_similar_texts').values(part.map((t) => ({ tenant_id: tenantId, user_id: t.userId, seq: t.seq, text: t.text })))
          .onConflict((oc) => oc.columns(['tenant_id', 'user_id', 'seq']).doNothing()).execute();
      }
      for (const userId of [...new Set(texts.map((t) => t.userId))].sort(compareText)) {
        // Older than the `keep`-th newest: gone (no such row, nothing goes).
        await trx.deleteFrom('analytics_similar_texts').where('tenant_id', '=', tenantId).where('user_id', '=', userId)
          .where('seq', '<', (eb) => eb.selectFrom('analytics_similar_texts').select('seq').where('tenant_id', '=', tenantId).where('user_id', '=', userId)
            .orderBy('seq', 'desc').limit(1).offset(keep - 1))
          .execute();
      }
    },
    async texts(tx, tenantId, userIds) {
      const trx = tx.db as Kysely<SimilarTables>;
      const out = new Map<string, string[]>();
      for (const part of chunks([...new Set(userIds)])) {
        const rows = await trx.selectFrom('analytics_similar_texts').select(['user_id', 'text']).where('tenant_id', '=', tenantId).where('user_id', 'in', part)
          .orderBy('user_id').orderBy('seq', 'desc').execute();
        for (const r of rows) out.set(r.user_id, [...(out.get(r.user_id) ?? []), r.text]);
      }
      return out;
    },
    async clearTenant(tx, tenantId) {
      const trx = tx.db as Kysely<SimilarTables>;
      await trx.deleteFrom('analytics_similar_persons').where('tenant_id', '=', tenantId).execute();
      await trx.deleteFrom('analytics_similar_texts').where('tenant_id', '=', tenantId).execute();
    },
    persons: (tenantId, userIds) => personsOf(reader, tenantId, userIds),
    async textsOf(tenantId, userId) {
      const rows = await reader.selectFrom('analytics_similar_texts').select('text').where('tenant_id', '=', tenantId).where('user_id', '=', userId).orderBy('seq', 'desc').execute();
      return rows.map((r) => r.text);
    },
    async eraseUser(tenantId, userId) {
      const persons = await reader.deleteFrom('analytics_similar_persons').where('tenant_id', '=', tenantId).where('user_id', '=', userId).executeTakeFirst();
      const texts = await reader.deleteFrom('analytics_similar_texts').where('tenant_id', '=', tenantId).where('user_id', '=', userId).executeTakeFirst();
      return Number(persons.numDeletedRows) + Number(texts.numDeletedRows);
    },
  };
}

