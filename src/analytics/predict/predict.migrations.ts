/**
 * Tables of the next-action projection (entry `010_predict` of the analytics migrations). Counts
 * have their primary key for the upserts and an index by count so a read takes the most frequent
 * next types of a context without scanning a large vocabulary.
 */
import type { Kysely, Migration } from 'kysely';

export const predictMigration: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.createTable('analytics_predict_counts')
      .addColumn('tenant_id', 'text', (c) => c.notNull())
      .addColumn('context', 'text', (c) => c.notNull())
      .addColumn('next_type', 'text', (c) => c.notNull())
      .addColumn('n', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('analytics_predict_counts_pk', ['tenant_id', 'context', 'next_type'])
      .execute();
    await db.schema.createIndex('analytics_predict_counts_top').on('analytics_predict_counts').columns(['tenant_id', 'context', 'n']).execute();
    await db.schema.createTable('analytics_predict_contexts')
      .addColumn('tenant_id', 'text', (c) => c.notNull())
      .addColumn('context', 'text', (c) => c.notNull())
      .addColumn('total', 'bigint', (c) => c.notNull())
      .addColumn('types', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('analytics_predict_contexts_pk', ['tenant_id', 'context'])
      .execute();
    await db.schema.createTable('analytics_predict_persons')
      .addColumn('tenant_id', 'text', (c) => c.notNull())
      .addColumn('user_id', 'text', (c) => c.notNull())
      .addColumn('recent', 'text', (c) => c.notNull())
      .addColumn('session_length', 'integer', (c) => c.notNull())
      .addColumn('session_id', 'text')
      .addColumn('source_app', 'text', (c) => c.notNull())
      .addColumn('last_time', 'bigint', (c) => c.notNull())
      .addColumn('events', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('analytics_predict_persons_pk', ['tenant_id', 'user_id'])
      .execute();
  },
};
