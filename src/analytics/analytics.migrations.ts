/** The analytics feature's migrations (tracked in its own table, `analytics_migrations`). */
import type { Kysely, Migration } from 'kysely';
import type { SqlDialect } from '../feature.js';
import { predictMigration } from './predict/predict.migrations.js';
import { similarMigration } from './similar/similar.migrations.js';

/**
 * Sessions per person (the tenant's user id): the client's sessions by their id, derived ones
 * by the position of their first event. `latest` marks the derived session of each source app
 * that the person's next event may extend, so a batch finds it by an index lookup.
 */
const migration001: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.createTable('analytics_sessions')
      .addColumn('tenant_id', 'text', (c) => c.notNull())
      .addColumn('user_id', 'text', (c) => c.notNull())
      .addColumn('session_key', 'text', (c) => c.notNull())
      .addColumn('source_app', 'text', (c) => c.notNull())
      .addColumn('derived', 'integer', (c) => c.notNull())
      .addColumn('latest', 'integer', (c) => c.notNull())
      .addColumn('started_at', 'bigint', (c) => c.notNull())
      .addColumn('ended_at', 'bigint', (c) => c.notNull())
      .addColumn('event_count', 'integer', (c) => c.notNull())
      .addColumn('entry_type', 'text', (c) => c.notNull())
      .addColumn('exit_type', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('analytics_sessions_pk', ['tenant_id', 'user_id', 'session_key'])
      .execute();
    await db.schema.createIndex('analytics_sessions_started').on('analytics_sessions').columns(['tenant_id', 'user_id', 'started_at']).execute();
    await db.schema.createIndex('analytics_sessions_latest').on('analytics_sessions').columns(['tenant_id', 'user_id', 'latest']).execute();
  },
};

/**
 * The session each event of a person went to, so a journey groups a person's events by session
 * and later analyses (funnels, paths) follow sessions without deriving them again.
 */
const migration002: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.createTable('analytics_event_sessions')
      .addColumn('tenant_id', 'text', (c) => c.notNull())
      .addColumn('event_id', 'text', (c) => c.notNull())
      .addColumn('user_id', 'text', (c) => c.notNull())
      .addColumn('session_key', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('analytics_event_sessions_pk', ['tenant_id', 'event_id'])
      .execute();
    await db.schema.createIndex('analytics_event_sessions_user').on('analytics_event_sessions').columns(['tenant_id', 'user_id', 'session_key', 'event_id']).execute();
  },
};

export function analyticsMigrations(_dialect: SqlDialect): Record<string, Migration> {
  return { '001_sessions': migration001, '002_event_sessions': migration002, '010_predict': predictMigration, '011_similar': similarMigration };
}
