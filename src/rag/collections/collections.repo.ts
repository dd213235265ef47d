/** Collections and documents in the Store (SQLite or PostgreSQL, same Kysely code). */
import { sql, type Kysely } from 'kysely';
import type { CollectionSettings } from './collection.schemas.js';
import type { RagDatabase } from '../rag.migrations.js';

export interface Collection {
  tenantId: string;
  name: string;
  template: string | null;
  settings: CollectionSettings;
  embedderModel: string;
  dimension: number;
  createdAt: number;
  updatedAt: number;
}

export interface StoredDocument {
  id: string;
  fields: Record<string, unknown> | null;
  contentHash: string | null;
  sourceEventId: string;
  deleted: boolean;
  updatedAt: number;
  /** The member whose event wrote this version (shared collections), or null (admin, ingest, older writes). */
  writer: string | null;
}

const toCollection = (r: RagDatabase['collections']): Collection => ({
  tenantId: r.tenant_id, name: r.name, template: r.template, settings: JSON.parse(r.settings) as CollectionSettings,
  embedderModel: r.embedder_model, dimension: Number(r.dimension), createdAt: Number(r.created_at), updatedAt: Number(r.updated_at),
});
const toDocument = (r: RagDatabase['documents']): StoredDocument => ({
  id: r.id, fields: r.fields === null ? null : (JSON.parse(r.fields) as Record<string, unknown>), contentHash: r.content_hash,
  sourceEventId: r.source_event_id, deleted: Number(r.deleted) === 1, updatedAt: Number(r.updated_at), writer: r.writer ?? null,
});

export class CollectionsRepo {
  constructor(private readonly db: Kysely<RagDatabase>) {}

  async list(tenantId: string): Promise<Collection[]> {
    return (await this.db.selectFrom('collections').selectAll().where('tenant_id', '=', tenantId).orderBy('name').execute()).map(toCollection);
  }

  /** Event types named by any collection's sources, across tenants (the indexer's subscription). */
  async allSourceTypes(): Promise<string[]> {
    const rows = await this.db.selectFrom('collections').select('settings').execute();
    return [...new Set(rows.flatMap((r) => (JSON.parse(r.settings) as CollectionSettings).sources.map((s) => s.type)))];
  }

  /** Every collection of every tenant (start-up checks). */
  async listAll(): Promise<Collection[]> {
    return (await this.db.selectFrom('collections').selectAll().orderBy('tenant_id').orderBy('name').execute()).map(toCollection);
  }

  async get(tenantId: string, name: string): Promise<Collection | undefined> {
    const row = await this.db.selectFrom('collections').selectAll().where('tenant_id', '=', tenantId).where('name', '=', name).executeTakeFirst();
    return row && toCollection(row);
  }

  /** Inserts unless it exists; returns whether it was created. */
  async insert(c: Collection): Promise<boolean> {
    const row = await this.db.insertInto('collections').values({
      tenant_id: c.tenantId, name: c.name, template: c.template, settings: JSON.stringify(c.settings),
      embedder_model: c.embedderModel, dimension: c.dimension, created_at: c.createdAt, updated_at: c.updatedAt,
    }).onConflict((oc) => oc.columns(['tenant_id', 'name']).doNothing()).returning('name').executeTakeFirst();
    return row !== undefined;
  }

  async update(c: Collection): Promise<void> {
    await this.db.updateTable('collections')
      .set({ settings: JSON.stringify(c.settings), embedder_model: c.embedderModel, dimension: c.dimension, updated_at: c.updatedAt })
      .where('tenant_id', '=', c.tenantId).where('name', '=', c.name).execute();
  }

  async remove(tenantId: string, name: string): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('documents').where('tenant_id', '=', tenantId).where('collection', '=', name).execute();
      const result = await trx.deleteFrom('collections').where('tenant_id', '=', tenantId).where('name', '=', name).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    });
  }

  async getDocument(tenantId: string, collection: string, id: string): Promise<StoredDocument | undefined> {
    const row = await this.db.selectFrom('documents').selectAll()
      .where('tenant_id', '=', tenantId).where('collection', '=', collection).where('id', '=', id).executeTakeFirst();
    return row && toDocument(row);
  }

  /** Writes a document version (or a tombstone when `fields` is null). */
  async putDocument(tenantId: string, collection: string, doc: StoredDocument): Promise<void> {
    const values = {
      tenant_id: tenantId, collection, id: doc.id, fields: doc.fields === null ? null : JSON.stringify(doc.fields),
      content_hash: doc.contentHash, source_event_id: doc.sourceEventId, deleted: doc.deleted ? 1 : 0, updated_at: doc.updatedAt,
      writer: doc.writer,
    };
    await this.db.insertInto('documents').values(values)
      .onConflict((oc) => oc.columns(['tenant_id', 'collection', 'id']).doUpdateSet({
        fields: values.fields, content_hash: values.content_hash, source_event_id: values.source_event_id, deleted: values.deleted, updated_at: values.updated_at, writer: values.writer,
      }))
      .execute();
  }

  /** Live documents of a collection in id order, a page at a time (rebuilds). */
  async pageDocuments(tenantId: string, collection: string, afterId: string | null, limit: number): Promise<StoredDocument[]> {
    const rows = await this.db.selectFrom('documents').selectAll()
      .where('tenant_id', '=', tenantId).where('collection', '=', collection).where('deleted', '=', 0)
      .$if(afterId !== null, (q) => q.where('id', '>', afterId!))
      .orderBy('id').limit(limit).execute();
    return rows.map(toDocument);
  }

  async countDocuments(tenantId: string, collection: string): Promise<number> {
    const row = await this.db.selectFrom('documents').select(sql<number>`count(*)`.as('n'))
      .where('tenant_id', '=', tenantId).where('collection', '=', collection).where('deleted', '=', 0).executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  /** Forgets documents (used when a collection is rebuilt from the log). */
  async clearDocuments(tenantId: string, collection: string): Promise<void> {
    await this.db.deleteFrom('documents').where('tenant_id', '=', tenantId).where('collection', '=', collection).execute();
  }
}
