/**
 * The RagStore adapter: one Kysely implementation for SQLite and PostgreSQL (the feature's tables
 * live in the backbone's database; what differs by dialect is in the migrations).
 */
import { sql, type Kysely } from 'kysely';
import type { CollectionSettings } from '../collections/collection.schemas.js';
import { sourceTypesOf, type RagDatabase } from './rag.migrations.js';
import type { Collection, CollectionDocument, RagStore, StoredDocument } from './rag.store.js';

const toCollection = (r: RagDatabase['collections']): Collection => ({
  tenantId: r.tenant_id, name: r.name, template: r.template, settings: JSON.parse(r.settings) as CollectionSettings,
  embedderModel: r.embedder_model, dimension: Number(r.dimension), createdAt: Number(r.created_at), updatedAt: Number(r.updated_at),
});
const toDocument = (r: RagDatabase['documents']): StoredDocument => ({
  id: r.id, fields: r.fields === null ? null : (JSON.parse(r.fields) as Record<string, unknown>), contentHash: r.content_hash,
  sourceEventId: r.source_event_id, deleted: Number(r.deleted) === 1, updatedAt: Number(r.updated_at), writer: r.writer ?? null,
  owner: r.user_id ?? null,
});

/** The collection's source types as rows (the caller has removed the old ones). */
async function writeSources(db: Kysely<RagDatabase>, c: Collection): Promise<void> {
  const types = sourceTypesOf(c.settings);
  if (types.length === 0) return;
  await db.insertInto('collection_sources').values(types.map((type) => ({ type, tenant_id: c.tenantId, collection: c.name }))).execute();
}

export class SqlRagStore implements RagStore {
  readonly #db: Kysely<RagDatabase>;

  constructor(db: Kysely<any>) {
    this.#db = db as Kysely<RagDatabase>;
  }

  async list(tenantId: string): Promise<Collection[]> {
    return (await this.#db.selectFrom('collections').selectAll().where('tenant_id', '=', tenantId).orderBy('name').execute()).map(toCollection);
  }

  async sourceTypes(): Promise<string[]> {
    // The primary key leads with `type`: an index-only scan, however many collections there are.
    const rows = await this.#db.selectFrom('collection_sources').select('type').distinct().execute();
    return rows.map((r) => r.type);
  }

  async listAll(): Promise<Collection[]> {
    return (await this.#db.selectFrom('collections').selectAll().orderBy('tenant_id').orderBy('name').execute()).map(toCollection);
  }

  async get(tenantId: string, name: string): Promise<Collection | undefined> {
    const row = await this.#db.selectFrom('collections').selectAll().where('tenant_id', '=', tenantId).where('name', '=', name).executeTakeFirst();
    return row && toCollection(row);
  }

  async insert(c: Collection): Promise<boolean> {
    return this.#db.transaction().execute(async (trx) => {
      const row = await trx.insertInto('collections').values({
        tenant_id: c.tenantId, name: c.name, template: c.template, settings: JSON.stringify(c.settings),
        embedder_model: c.embedderModel, dimension: c.dimension, created_at: c.createdAt, updated_at: c.updatedAt,
      }).onConflict((oc) => oc.columns(['tenant_id', 'name']).doNothing()).returning('name').executeTakeFirst();
      if (row !== undefined) await writeSources(trx, c);
      return row !== undefined;
    });
  }

  async update(c: Collection): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      await trx.updateTable('collections')
        .set({ settings: JSON.stringify(c.settings), embedder_model: c.embedderModel, dimension: c.dimension, updated_at: c.updatedAt })
        .where('tenant_id', '=', c.tenantId).where('name', '=', c.name).execute();
      await trx.deleteFrom('collection_sources').where('tenant_id', '=', c.tenantId).where('collection', '=', c.name).execute();
      await writeSources(trx, c);
    });
  }

  async remove(tenantId: string, name: string): Promise<boolean> {
    return this.#db.transaction().execute(async (trx) => {
      await trx.deleteFrom('documents').where('tenant_id', '=', tenantId).where('collection', '=', name).execute();
      await trx.deleteFrom('collection_sources').where('tenant_id', '=', tenantId).where('collection', '=', name).execute();
      const result = await trx.deleteFrom('collections').where('tenant_id', '=', tenantId).where('name', '=', name).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    });
  }

  async getDocument(tenantId: string, collection: string, id: string): Promise<StoredDocument | undefined> {
    const row = await this.#db.selectFrom('documents').selectAll()
      .where('tenant_id', '=', tenantId).where('collection', '=', collection).where('id', '=', id).executeTakeFirst();
    return row && toDocument(row);
  }

  async putDocument(tenantId: string, collection: string, doc: StoredDocument): Promise<void> {
    const values = {
      tenant_id: tenantId, collection, id: doc.id, fields: doc.fields === null ? null : JSON.stringify(doc.fields),
      content_hash: doc.contentHash, source_event_id: doc.sourceEventId, deleted: doc.deleted ? 1 : 0, updated_at: doc.updatedAt,
      writer: doc.writer, user_id: doc.owner,
    };
    await this.#db.insertInto('documents').values(values)
      .onConflict((oc) => oc.columns(['tenant_id', 'collection', 'id']).doUpdateSet({
        fields: values.fields, content_hash: values.content_hash, source_event_id: values.source_event_id, deleted: values.deleted, updated_at: values.updated_at, writer: values.writer, user_id: values.user_id,
      }))
      .execute();
  }

  async pageDocuments(tenantId: string, collection: string, afterId: string | null, limit: number): Promise<StoredDocument[]> {
    const rows = await this.#db.selectFrom('documents').selectAll()
      .where('tenant_id', '=', tenantId).where('collection', '=', collection).where('deleted', '=', 0)
      .$if(afterId !== null, (q) => q.where('id', '>', afterId!))
      .orderBy('id').limit(limit).execute();
    return rows.map(toDocument);
  }

  async countDocuments(tenantId: string, collection: string): Promise<number> {
    const row = await this.#db.selectFrom('documents').select(sql<number>`count(*)`.as('n'))
      .where('tenant_id', '=', tenantId).where('collection', '=', collection).where('deleted', '=', 0).executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  async clearDocuments(tenantId: string, collection: string): Promise<void> {
    await this.#db.deleteFrom('documents').where('tenant_id', '=', tenantId).where('collection', '=', collection).execute();
  }

  async deleteDocuments(tenantId: string, collection: string, ids: string[]): Promise<number> {
    if (ids.length === 0) return 0;
    const result = await this.#db.deleteFrom('documents')
      .where('tenant_id', '=', tenantId).where('collection', '=', collection).where('id', 'in', ids).executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async userDocuments(tenantId: string, userId: string): Promise<CollectionDocument[]> {
    // Two index lookups ((tenant_id, user_id) and (tenant_id, writer)), not a scan of the tenant.
    const owned = this.#db.selectFrom('documents').selectAll().where('tenant_id', '=', tenantId).where('user_id', '=', userId);
    const written = this.#db.selectFrom('documents').selectAll().where('tenant_id', '=', tenantId).where('writer', '=', userId);
    const rows = await owned.union(written).orderBy('collection').orderBy('id').execute();
    return rows.map((r) => ({ collection: r.collection, document: toDocument(r) }));
  }
}
