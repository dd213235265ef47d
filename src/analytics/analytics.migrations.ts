/** The analytics feature's migrations (tracked in its own table, `analytics_migrations`). */
import { sql, type Kysely, type Migration } from 'kysely';
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

/**
 * Persons: every event about someone (a user id, else the anonymous id it carries) gets a row in
 * `analytics_events` with what the analyses read (type, time, category, source app, session),
 * so funnels, paths and a person's behaviour never parse the log's JSON; `analytics_person_links`
 * stitches anonymous ids and earlier ids to the user an identify or alias named. The per-event
 * table replaces `analytics_event_sessions`, and the projection now orders by actor instead of
 * user: its sessions are rebuilt from the start of the log (positions and rows cleared here).
 */
function migration003(dialect: SqlDialect): Migration {
  return {
    async up(db: Kysely<any>) {
      // Keyed by what the insights read: a funnel's or a trend's scan of one type in a time range
      // walks the key in order and finds every column there (SQLite keeps the row in the key:
      // WITHOUT ROWID), and an event costs one index less to record.
      await db.schema.createTable('analytics_events')
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('time', 'bigint', (c) => c.notNull())
        .addColumn('event_id', 'text', (c) => c.notNull())
        .addColumn('seq', 'bigint', (c) => c.notNull())
        .addColumn('category', 'text', (c) => c.notNull())
        .addColumn('source_app', 'text', (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('session_key', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('analytics_events_pk', ['tenant_id', 'type', 'time', 'event_id'])
        .$call((b) => (dialect === 'sqlite' ? b.modifyEnd(sql`without rowid`) : b))
        .execute();
      await db.schema.createIndex('analytics_events_actor_time').on('analytics_events').columns(['tenant_id', 'actor', 'time']).execute();
      await db.schema.createTable('analytics_person_links')
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('person', 'text', (c) => c.notNull())
        .addColumn('linked_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('analytics_person_links_pk', ['tenant_id', 'id'])
        .execute();
      await db.schema.createIndex('analytics_person_links_person').on('analytics_person_links').columns(['tenant_id', 'person', 'linked_at']).execute();
      await db.schema.dropTable('analytics_event_sessions').execute();
      await db.deleteFrom('analytics_sessions').execute();
      // The backbone's rows of this consumer: it starts again from position 0 with the new partitioning.
      for (const table of ['consumer_positions', 'consumer_failures', 'consumer_replays']) {
        await db.deleteFrom(table).where('consumer', '=', 'analytics-sessions').execute();
      }
    },
  };
}

export function analyticsMigrations(dialect: SqlDialect): Record<string, Migration> {
  return { '001_sessions': migration001, '002_event_sessions': migration002, '003_events': migration003(dialect), '010_predict': predictMigration, '011_similar': similarMigration };
}
