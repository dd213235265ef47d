/** Tables of the retrieval feature: collection definitions and documents (the source of truth for indexes). */
import { sql, type Kysely, type Migration } from 'kysely';
import type { SqlDialect } from '../../feature.js';

export interface CollectionsTable {
  tenant_id: string; name: string; template: string | null; settings: string;
  embedder_model: string; dimension: number; created_at: number; updated_at: number;
}
export interface DocumentsTable {
  tenant_id: string; collection: string; id: string; fields: string | null; content_hash: string | null;
  /** Id of the last event applied to this document; later events win (log order). */
  source_event_id: string; deleted: number; updated_at: number;
  /** User id of the member whose event wrote this version (shared collections); null for admin, ingest and older writes. */
  writer: string | null;
  /** The owner in a per-user collection (its documents' `userId` metadata); null in shared collections. */
  user_id: string | null;
}
/** One row per (collection, source event type): the indexer's subscription is one index scan. */
export interface CollectionSourcesTable {
  type: string; tenant_id: string; collection: string;
}
export interface RagDatabase {
  collections: CollectionsTable;
  documents: DocumentsTable;
  collection_sources: CollectionSourcesTable;
}

interface StoredSettings { scope?: string; sources?: Array<{ type: string }> }

/** Templates whose collections are per-user (collections stored before `scope` existed take their template's). */
const PER_USER_TEMPLATES = ['user-events', 'chat-messages'];

/** Distinct source event types of a collection's settings. */
export function sourceTypesOf(settings: { sources?: Array<{ type: string }> }): string[] {
  return [...new Set((settings.sources ?? []).map((s) => s.type))];
}

/** The retrieval feature's migrations, under the names they have had since they were written. */
export function ragMigrations(dialect: SqlDialect): Record<string, Migration> {
  return {
    '002_rag_collections': {
      async up(db: Kysely<any>) {
        await db.schema.createTable('collections')
          .addColumn('tenant_id', 'text', (c) => c.notNull())
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('template', 'text')
          .addColumn('settings', 'text', (c) => c.notNull())
          .addColumn('embedder_model', 'text', (c) => c.notNull())
          .addColumn('dimension', 'integer', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('updated_at', 'bigint', (c) => c.notNull())
          .addPrimaryKeyConstraint('collections_pk', ['tenant_id', 'name'])
          .execute();
        await db.schema.createTable('documents')
          .addColumn('tenant_id', 'text', (c) => c.notNull())
          .addColumn('collection', 'text', (c) => c.notNull())
          .addColumn('id', 'text', (c) => c.notNull())
          .addColumn('fields', 'text')
          .addColumn('content_hash', 'text')
          .addColumn('source_event_id', 'text', (c) => c.notNull())
          .addColumn('deleted', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('updated_at', 'bigint', (c) => c.notNull())
          .addPrimaryKeyConstraint('documents_pk', ['tenant_id', 'collection', 'id'])
          .execute();
      },
    },
    /**
     * Documents record which member wrote them, so in a shared collection that takes members'
     * writes a member changes only what they wrote. Documents stored before have no writer (as if
     * an admin wrote them): members cannot change them.
     */
    '006_rag_document_writer': {
      async up(db: Kysely<any>) {
        await db.schema.alterTable('documents').addColumn('writer', 'text').execute();
      },
    },
    /**
     * Source types get their own rows, so the indexer's subscription (read before every batch)
     * is `select distinct type` over the primary key instead of parsing every collection's JSON.
     */
    '007_rag_collection_sources': {
      async up(db: Kysely<any>) {
        await db.schema.createTable('collection_sources')
          .addColumn('type', 'text', (c) => c.notNull())
          .addColumn('tenant_id', 'text', (c) => c.notNull())
          .addColumn('collection', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint('collection_sources_pk', ['type', 'tenant_id', 'collection'])
          .execute();
        const rows = await db.selectFrom('collections').select(['tenant_id', 'name', 'settings']).execute() as Array<{ tenant_id: string; name: string; settings: string }>;
        const values = rows.flatMap((r) => sourceTypesOf(JSON.parse(r.settings) as StoredSettings).map((type) => ({ type, tenant_id: r.tenant_id, collection: r.name })));
        for (let i = 0; i < values.length; i += 500) await db.insertInto('collection_sources').values(values.slice(i, i + 500)).execute();
      },
    },
    /**
     * A per-user collection's documents carry their owner in a column (as every feature table
     * holding personal data does), indexed with the writer, so erasing or exporting a person is
     * two index lookups. Existing documents get it from their `userId` field.
     */
    '008_rag_document_owner': {
      async up(db: Kysely<any>) {
        await db.schema.alterTable('documents').addColumn('user_id', 'text').execute();
        await db.schema.createIndex('documents_user_idx').on('documents').columns(['tenant_id', 'user_id']).execute();
        await db.schema.createIndex('documents_writer_idx').on('documents').columns(['tenant_id', 'writer']).execute();
        // Only a non-empty string is an owner (as ownerOf in member-view.ts reads it).
        const owner = dialect === 'postgres'
          ? sql`(case when jsonb_typeof(fields::jsonb -> 'userId') = 'string' then nullif(fields::jsonb ->> 'userId', '') end)`
          : sql`(case when json_type(fields, '$.userId') = 'text' then nullif(json_extract(fields, '$.userId'), '') end)`;
        const rows = await db.selectFrom('collections').select(['tenant_id', 'name', 'template', 'settings']).execute() as Array<{ tenant_id: string; name: string; template: string | null; settings: string }>;
        for (const r of rows) {
          const scope = (JSON.parse(r.settings) as StoredSettings).scope ?? (PER_USER_TEMPLATES.includes(r.template ?? '') ? 'user' : 'shared');
          if (scope !== 'user') continue;
          await db.updateTable('documents').set({ user_id: owner }).where('tenant_id', '=', r.tenant_id).where('collection', '=', r.name).where('fields', 'is not', null).execute();
        }
      },
    },
  };
}
