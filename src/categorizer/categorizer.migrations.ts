/** The categorizer feature's migrations (tracked in its own table, `categorizer_migrations`). */
import type { Kysely, Migration } from 'kysely';
import type { SqlDialect } from '../feature.js';

/**
 * `event_intents`: one row per categorised event, beside the event (the log is never rewritten).
 * `labels_version` is the tenant's settings version the row was computed with: a write never
 * replaces a row of a newer version. `categorizer_settings`: each tenant's rules and labels as
 * JSON (null = the built-in defaults), the threshold (null = CATEGORIZER_THRESHOLD) and the
 * version every change bumps.
 */
function migration001(dialect: SqlDialect): Migration {
  const float = dialect === 'postgres' ? 'double precision' : 'real';
  return {
    async up(db: Kysely<any>) {
      await db.schema.createTable('event_intents')
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('event_id', 'text', (c) => c.notNull())
        .addColumn('user_id', 'text')
        .addColumn('time', 'bigint', (c) => c.notNull())
        .addColumn('intent', 'text', (c) => c.notNull())
        .addColumn('category', 'text', (c) => c.notNull())
        .addColumn('confidence', float, (c) => c.notNull())
        .addColumn('method', 'text', (c) => c.notNull())
        .addColumn('labels_version', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('event_intents_pk', ['tenant_id', 'event_id'])
        .execute();
      await db.schema.createIndex('event_intents_user').on('event_intents').columns(['tenant_id', 'user_id', 'time']).execute();
      await db.schema.createTable('categorizer_settings')
        .addColumn('tenant_id', 'text', (c) => c.primaryKey())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('rules', 'text')
        .addColumn('labels', 'text')
        .addColumn('threshold', float)
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
    },
  };
}

export function categorizerMigrations(dialect: SqlDialect): Record<string, Migration> {
  return { '001_intents_and_settings': migration001(dialect) };
}
