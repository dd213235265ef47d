/** The identity feature's store over Kysely, one adapter for SQLite and PostgreSQL. */
import { sql, type Kysely } from 'kysely';
import type { StoreTx } from '../../ports/store.port.js';
import { setOwn, type LinkKind } from './profile-facts.js';
import type { LinkRow, ProfileStore, TraitsRow } from './profile.store.js';
import { chunks } from '../../platform/lists.js';

interface ProfileTables {
  user_traits: { tenant_id: string; user_id: string; traits: string; updated_at: number; seq: number | null; trait_seqs: string | null };
  identity_links: { tenant_id: string; kind: string; from_id: string; to_id: string; created_at: number; user_id: string | null; seq: number | null };
  /** The log's columns this feature reads (never writes): who events are about, and the anonymous id they carry. */
  events: { id: string; tenant_id: string; user_id: string | null; anonymous_id: string | null };
}

type Db = Kysely<ProfileTables>;
const STITCHING: LinkKind[] = ['anonymous', 'alias'];
/** Ids per IN list: far below both engines' parameter limits. */
const CHUNK = 500;


/** Rows from before positions were kept have their row's position for every trait. */
function toTraits(r: ProfileTables['user_traits']): TraitsRow {
  const traits = JSON.parse(r.traits) as Record<string, unknown>;
  const seq = Number(r.seq ?? 0);
  const traitSeqs = r.trait_seqs ? (JSON.parse(r.trait_seqs) as Record<string, number>) : Object.fromEntries(Object.keys(traits).map((k) => [k, seq]));
  return { tenantId: r.tenant_id, userId: r.user_id, traits, traitSeqs, seq, updatedAt: Number(r.updated_at) };
}

/** Ids stitched to a user that their traits are read through (the newest links first, bounded). */
const STITCHED_MAX = 200;

/** Own traits over the stitched ids' (the latest of those wins per trait). */
function combined(own: TraitsRow | undefined, stitched: TraitsRow[]): Record<string, unknown> | undefined {
  if (!own && stitched.length === 0) return undefined;
  const best = new Map<string, { value: unknown; seq: number }>();
  for (const row of stitched) {
    for (const [key, value] of Object.entries(row.traits)) {
      const seq = row.traitSeqs[key] ?? row.seq;
      const current = best.get(key);
      if (!current || seq > current.seq) best.set(key, { value, seq });
    }
  }
  const out: Record<string, unknown> = {};
  for (const [key, { value }] of best) setOwn(out, key, value);
  for (const [key, value] of Object.entries(own?.traits ?? {})) setOwn(out, key, value);
  return out;
}
const toLink = (r: ProfileTables['identity_links']): LinkRow => ({
  tenantId: r.tenant_id, kind: r.kind as LinkKind, fromId: r.from_id, toId: r.to_id, userId: r.user_id ?? r.to_id, seq: Number(r.seq ?? 0), createdAt: Number(r.created_at),
});

/** Does anything tie `id` to someone (other than `asideFrom`)? Each probe is one indexed seek. */
async function known(db: Db, tenantId: string, id: string, asideFrom?: string): Promise<boolean> {
  const carrying = () => db.selectFrom('events').select('id').where('tenant_id', '=', tenantId).where('anonymous_id', '=', id);
  // events_tenant_anonymous (tenant, anonymous id, user) serves each probe, however many events carry the id.
  const byOthers = asideFrom === undefined ? [carrying().where('user_id', 'is not', null)]
    : [carrying().where('user_id', '<', asideFrom), carrying().where('user_id', '>', asideFrom)];
  const found = await Promise.all([
    db.selectFrom('user_traits').select('user_id').where('tenant_id', '=', tenantId).where('user_id', '=', id).executeTakeFirst(),
    db.selectFrom('identity_links').select('to_id')
      .where('tenant_id', '=', tenantId).where('kind', 'in', STITCHING).where('to_id', '=', id).limit(1).executeTakeFirst(),
    db.selectFrom('events').select('id').where('tenant_id', '=', tenantId).where('user_id', '=', id).limit(1).executeTakeFirst(),
    ...[carrying().where('user_id', 'is', null), ...byOthers].map((q) => q.limit(1).executeTakeFirst()),
  ]);
  return found.some((row) => row !== undefined);
}

/** Ids stitched to the user (anonymous ids, old ids): their traits are the user's too. */
async function stitchedTo(db: Db, tenantId: string, userId: string): Promise<string[]> {
  const rows = await db.selectFrom('identity_links').select('from_id')
    .where('tenant_id', '=', tenantId).where('user_id', '=', userId).where('kind', 'in', STITCHING).execute();
  return [...new Set(rows.map((r) => r.from_id))].filter((id) => id !== userId);
}

/** The stored link's column, unless the incoming row comes from a later event. */
const later = (column: 'to_id' | 'user_id' | 'seq') =>
  sql<any>`case when excluded.seq >= identity_links.seq or identity_links.seq is null then excluded.${sql.ref(column)} else identity_links.${sql.ref(column)} end`;

function writes(): Pick<ProfileStore, 'loadTraits' | 'loadLinks' | 'saveTraits' | 'saveLinks' | 'clearTenant'> {
  const on = (tx: StoreTx) => tx.db as Db;
  return {
    async loadTraits(tx, tenantId, userIds) {
      const out: TraitsRow[] = [];
      for (const part of chunks([...new Set(userIds)], CHUNK)) {
        // PostgreSQL: another partition may write the same id (used as a user id and as an anonymous id): lock the rows.
        const rows = await on(tx).selectFrom('user_traits').selectAll().where('tenant_id', '=', tenantId).where('user_id', 'in', part.sort())
          .$if(tx.dialect === 'postgres', (q) => q.forUpdate()).execute();
        out.push(...rows.map(toTraits));
      }
      return out;
    },
    async loadLinks(tx, tenantId, fromIds) {
      const out: LinkRow[] = [];
      for (const part of chunks([...new Set(fromIds)], CHUNK)) {
        const rows = await on(tx).selectFrom('identity_links').selectAll()
          .where('tenant_id', '=', tenantId).where('kind', 'in', ['anonymous', 'alias', 'group']).where('from_id', 'in', part).execute();
        out.push(...rows.map(toLink));
      }
      return out;
    },
    async saveTraits(tx, rows) {
      for (const part of chunks(rows, CHUNK)) {
        await on(tx).insertInto('user_traits')
          .values(part.map((r) => ({
            tenant_id: r.tenantId, user_id: r.userId, traits: JSON.stringify(r.traits), trait_seqs: JSON.stringify(r.traitSeqs), updated_at: r.updatedAt, seq: r.seq,
          })))
          .onConflict((oc) => oc.columns(['tenant_id', 'user_id']).doUpdateSet((eb) => ({
            traits: eb.ref('excluded.traits'), trait_seqs: eb.ref('excluded.trait_seqs'), updated_at: eb.ref('excluded.updated_at'), seq: eb.ref('excluded.seq'),
          })))
          .execute();
      }
    },
    async saveLinks(tx, rows) {
      for (const part of chunks(rows, CHUNK)) {
        await on(tx).insertInto('identity_links')
          .values(part.map((r) => ({ tenant_id: r.tenantId, kind: r.kind, from_id: r.fromId, to_id: r.toId, created_at: r.createdAt, user_id: r.userId, seq: r.seq })))
          // Partitions of other users may set the same link at once: the later event wins in SQL too.
          .onConflict((oc) => oc.columns(['tenant_id', 'kind', 'from_id']).doUpdateSet({
            to_id: later('to_id'), user_id: later('user_id'), seq: later('seq'),
            created_at: sql<number>`case when identity_links.created_at < excluded.created_at then identity_links.created_at else excluded.created_at end`,
          }))
          .execute();
      }
    },
    async clearTenant(tx, tenantId) {
      await on(tx).deleteFrom('user_traits').where('tenant_id', '=', tenantId).execute();
      await on(tx).deleteFrom('identity_links').where('tenant_id', '=', tenantId).execute();
    },
  };
}

/** `db` serves the request path's reads and the privacy hooks; the projection writes through its batch's transaction. */
export function sqlProfileStore(database: Kysely<any>): ProfileStore {
  const db = database as Db;
  return {
    async traits(tenantId, userId) {
      const links = await db.selectFrom('identity_links').select('from_id')
        .where('tenant_id', '=', tenantId).where('kind', 'in', STITCHING).where('to_id', '=', userId)
        .orderBy('seq', 'desc').limit(STITCHED_MAX).execute();
      const ids = [...new Set([userId, ...links.map((l) => l.from_id)])];
      const rows = (await db.selectFrom('user_traits').selectAll().where('tenant_id', '=', tenantId).where('user_id', 'in', ids).execute()).map(toTraits);
      return combined(rows.find((r) => r.userId === userId), rows.filter((r) => r.userId !== userId));
    },
    async resolve(tenantId, id) {
      const row = await db.selectFrom('identity_links').select('to_id')
        .where('tenant_id', '=', tenantId).where('kind', 'in', STITCHING).where('from_id', '=', id)
        .orderBy('created_at', 'desc').executeTakeFirst();
      return row?.to_id;
    },
    isKnown: (tenantId, id, asideFrom) => known(db, tenantId, id, asideFrom),
    ...writes(),
    async exportUser(tenantId, userId) {
      const earlierIds = await stitchedTo(db, tenantId, userId);
      const traitRows = await db.selectFrom('user_traits').selectAll().where('tenant_id', '=', tenantId).where('user_id', 'in', [userId, ...earlierIds]).execute();
      const links = await db.selectFrom('identity_links').selectAll().where('tenant_id', '=', tenantId).where('user_id', '=', userId).orderBy('created_at').orderBy('from_id').execute();
      const own = traitRows.find((r) => r.user_id === userId);
      return {
        traits: own ? toTraits(own).traits : null,
        earlierTraits: Object.fromEntries(traitRows.filter((r) => r.user_id !== userId).map((r) => [r.user_id, toTraits(r).traits])),
        links: links.map(toLink).map((l) => ({ kind: l.kind, fromId: l.fromId, toId: l.toId, createdAt: l.createdAt })),
      };
    },
    async eraseUser(tenantId, userId) {
      return db.transaction().execute(async (trx) => {
        const earlierIds = await stitchedTo(trx, tenantId, userId);
        const traits = await trx.deleteFrom('user_traits').where('tenant_id', '=', tenantId).where('user_id', 'in', [userId, ...earlierIds]).executeTakeFirst();
        const links = await trx.deleteFrom('identity_links').where('tenant_id', '=', tenantId).where('user_id', '=', userId).executeTakeFirst();
        return Number(traits.numDeletedRows) + Number(links.numDeletedRows);
      });
    },
  };
}
