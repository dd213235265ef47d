/**
 * Migrations of the backbone and of every feature, each tracked in its own Kysely bookkeeping
 * tables (`kysely_migration` for the backbone, `<feature>_migrations` for a feature), so names
 * only need to sort within their own set and features never conflict.
 *
 * Earlier releases ran feature migrations through the backbone's table. Kysely refuses to start
 * when a name it executed is no longer provided ("corrupted migrations: previously executed
 * migration X is missing"), so before the backbone migrates, the names a feature `adopts` move
 * from the backbone's table to the feature's, in one transaction, and are not run again.
 */
import { Migrator, sql, type Kysely, type MigrationProvider } from 'kysely';
import type { FeatureMigrations } from '../../ports/store.port.js';
import type { SqlDialect } from './migrations.js';

const BACKBONE_TABLE = 'kysely_migration';
const FEATURE_NAME = /^[a-z][a-z0-9_]{0,40}$/;
/** Serialises adoptions of processes starting together on one PostgreSQL database. */
const ADOPTION_LOCK = 7_305_118_201;

export interface MigrationTarget {
  db: Kysely<any>;
  dialect: SqlDialect;
  /** PostgreSQL: the schema holding the bookkeeping tables (Kysely otherwise looks in every schema). */
  schema?: string;
}

export const featureMigrationTable = (name: string) => `${name}_migrations`;

function checkNames(features: readonly FeatureMigrations[]): void {
  const seen = new Set<string>();
  for (const { name } of features) {
    if (!FEATURE_NAME.test(name)) throw new Error(`feature name ${name} must match ${FEATURE_NAME}`);
    if (seen.has(name)) throw new Error(`feature ${name} is listed twice`);
    seen.add(name);
  }
}

function migrator(target: MigrationTarget, provider: MigrationProvider, feature?: string): Migrator {
  return new Migrator({
    db: target.db,
    provider,
    ...(target.schema ? { migrationTableSchema: target.schema } : {}),
    ...(feature ? { migrationTableName: featureMigrationTable(feature), migrationLockTableName: `${featureMigrationTable(feature)}_lock` } : {}),
  });
}

const featureProvider = (feature: FeatureMigrations): MigrationProvider => ({ getMigrations: async () => feature.migrations });

/**
 * Kysely's migrator looks for its tables by introspecting every schema of the database (with
 * `pg_get_serial_sequence` per column); a table or schema that another session drops meanwhile
 * makes that query fail (undefined_table, invalid_schema_name, or a catalog cache miss) before
 * any migration ran. That is retried a few times.
 */
const INTROSPECTION_RETRIES = 5;
const RACED_CODES = new Set(['42P01', '3F000', 'XX000']);

export async function runMigrator(m: Pick<Migrator, 'migrateToLatest'>, owner: string): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    const { error, results } = await m.migrateToLatest();
    if (!error) return;
    const raced = results === undefined && RACED_CODES.has((error as { code?: string }).code ?? '');
    if (raced && attempt <= INTROSPECTION_RETRIES) { await new Promise((resolve) => setTimeout(resolve, 50 * attempt)); continue; }
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    throw new Error(`migration ${owner}${failed ? `/${failed}` : ''} failed: ${(error as Error).message}`, { cause: error });
  }
}

async function tableExists(target: MigrationTarget, table: string): Promise<boolean> {
  const { rows } = target.dialect === 'sqlite'
    ? await sql`select 1 from sqlite_master where type = 'table' and name = ${table}`.execute(target.db)
    : await sql`select 1 from information_schema.tables where table_name = ${table}
        and table_schema = ${target.schema ?? sql`current_schema()`}`.execute(target.db);
  return rows.length > 0;
}

/**
 * Moves the adopted names' rows (with their original run times) from the backbone's table to
 * each feature's, creating the feature's table in Kysely's format first. One transaction: a
 * crash leaves every row where it was.
 */
async function adopt(target: MigrationTarget, features: readonly FeatureMigrations[]): Promise<void> {
  const adopting = features.filter((f) => (f.adopts?.length ?? 0) > 0);
  if (adopting.length === 0 || !(await tableExists(target, BACKBONE_TABLE))) return;
  await target.db.transaction().execute(async (trx) => {
    if (target.dialect === 'postgres') await sql`select pg_advisory_xact_lock(${ADOPTION_LOCK})`.execute(trx);
    const db = target.schema ? trx.withSchema(target.schema) : trx;
    for (const feature of adopting) {
      const rows: Array<{ name: string; timestamp: string }> = await db.selectFrom(BACKBONE_TABLE)
        .select(['name', 'timestamp']).where('name', 'in', [...feature.adopts!]).execute();
      if (rows.length === 0) continue;
      const table = featureMigrationTable(feature.name);
      await db.schema.createTable(table).ifNotExists()
        .addColumn('name', 'varchar(255)', (col) => col.notNull().primaryKey())
        .addColumn('timestamp', 'varchar(255)', (col) => col.notNull())
        .execute();
      await db.insertInto(table).values(rows).onConflict((oc) => oc.column('name').doNothing()).execute();
      await db.deleteFrom(BACKBONE_TABLE).where('name', 'in', rows.map((r) => r.name)).execute();
    }
  });
}

/** Adopts, then migrates the backbone, then every feature in the order given. */
export async function migrateAll(target: MigrationTarget, backbone: MigrationProvider, features: readonly FeatureMigrations[]): Promise<void> {
  checkNames(features);
  await adopt(target, features);
  await runMigrator(migrator(target, backbone), 'backbone');
  for (const feature of features) await runMigrator(migrator(target, featureProvider(feature), feature.name), feature.name);
}

/** Names not yet run: the backbone's as they are, a feature's as `<feature>/<name>`. */
export async function pendingMigrations(target: MigrationTarget, backbone: MigrationProvider, features: readonly FeatureMigrations[]): Promise<string[]> {
  const pending = async (m: Migrator, prefix: string) =>
    (await m.getMigrations()).filter((m) => m.executedAt === undefined).map((m) => `${prefix}${m.name}`);
  const lists = [await pending(migrator(target, backbone), '')];
  for (const feature of features) lists.push(await pending(migrator(target, featureProvider(feature), feature.name), `${feature.name}/`));
  return lists.flat();
}
