/**
 * The identity feature's migrations (tracked in its own table). Its tables, `user_traits` and
 * `identity_links`, were created by backbone migration 001 and keep their names: released
 * databases hold them, and the Segment facts in them are not all in older logs' events.
 */
import { sql, type Kysely, type Migration } from 'kysely';
import type { SqlDialect } from '../../feature.js';

/**
 * Links get the `user_id` of the person they are about (privacy erase/export find them by it,
 * through an index), and both tables the log position of the event that set a link or a trait
 * (`trait_seqs`: per trait), so an older event (a replay) never overrides a newer one. Rows
 * written before this release were written in the request path as their events were stored:
 * they are current as of the log's head, which is the position they get.
 */
const migration001: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.alterTable('identity_links').addColumn('user_id', 'text').execute();
    await db.schema.alterTable('identity_links').addColumn('seq', 'bigint').execute();
    await db.schema.alterTable('user_traits').addColumn('seq', 'bigint').execute();
    await db.schema.alterTable('user_traits').addColumn('trait_seqs', 'text').execute();
    await sql`update identity_links set user_id = case when kind = 'group' then from_id else to_id end`.execute(db);
    const head = sql`(select coalesce(max(seq), 0) from events)`;
    await sql`update identity_links set seq = ${head}`.execute(db);
    await sql`update user_traits set seq = ${head}`.execute(db);
    await db.schema.createIndex('identity_links_user').on('identity_links').columns(['tenant_id', 'user_id']).execute();
  },
};

export function profileMigrations(_dialect: SqlDialect): Record<string, Migration> {
  return { '001_links_user_and_positions': migration001 };
}
