/** Tables of the similar-people projection (entry `011_similar` of the analytics migrations). */
import type { Kysely, Migration } from 'kysely';

export const similarMigration: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.createTable('analytics_similar_persons')
      .addColumn('tenant_id', 'text', (c) => c.notNull())
      .addColumn('user_id', 'text', (c) => c.notNull())
      .addColumn('profile', 'text', (c) => c.notNull())
      .addColumn('text_vector', 'text')
      .addColumn('vector', 'text', (c) => c.notNull())
      .addColumn('events', 'bigint', (c) => c.notNull())
      .addColumn('last_event_id', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('analytics_similar_persons_pk', ['tenant_id', 'user_id'])
      .execute();
    await db.schema.createTable('analytics_similar_texts')
      .addColumn('tenant_id', 'text', (c) => c.notNull())
      .addColumn('user_id', 'text', (c) => c.notNull())
      .addColumn('seq', 'bigint', (c) => c.notNull())
      .addColumn('text', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('analytics_similar_texts_pk', ['tenant_id', 'user_id', 'seq'])
      .execute();
  },
};
