/**
 * The insights source over Kysely, one adapter for SQLite and PostgreSQL. Reads select only the
 * columns an answer needs, one statement per type so each walks the (tenant_id, type, time, …)
 * key in time order (a read of every type enumerates the tenant's types first), and fill typed
 * columns as the rows arrive (no object per row is kept).
 * Person links are looked up once per distinct actor read, not joined to every row.
 */
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { SqlDialect } from '../../feature.js';
import { ColumnsBuilder, Interner, type EventColumns } from './columns.js';
import type { EventsQuery, InsightsSource, SessionDays } from './insights.source.js';

const DAY_MS = 86_400_000;

interface Row {
  actor: string;
  time: number | string;
  seq: number | string;
  session_key?: string;
  value?: string | number | null;
}

/** Actors per statement of the link lookup: within both engines' parameter limits. */
const LINK_CHUNK = 500;
/** Types read at most when an answer reads every type (past it: `truncated`). */
export const MAX_SCAN_TYPES = 1000;

/** The breakdown property of the joined event's data, as text (null when absent or JSON null). */
function propertyText(dialect: SqlDialect, path: string): RawBuilder<string | null> {
  const parts = path.split('.');
  if (dialect === 'postgres') return sql`(ev.data::json #>> ${`{${parts.join(',')}}`}::text[])`;
  const jsonPath = `$.${parts.map((p) => `"${p}"`).join('.')}`;
  return sql`(case json_type(ev.data, ${jsonPath}) when 'null' then null when 'true' then 'true' when 'false' then 'false'
    else cast(json_extract(ev.data, ${jsonPath}) as text) end)`;
}

/**
 * The tenant's types, in name order, by a loose scan of the key (one seek per type: neither
 * engine skips through an index on its own without statistics); at most `max`.
 */
async function typesOf(db: Kysely<any>, tenantId: string, max: number): Promise<string[]> {
  const { rows } = await sql<{ type: string | null }>`with recursive t(type, n) as (
      select min(type), 1 from analytics_events where tenant_id = ${tenantId}
      union all
      select (select min(type) from analytics_events where tenant_id = ${tenantId} and type > t.type), n + 1 from t where t.type is not null and n < ${max}
    ) select type from t where type is not null`.execute(db);
  return rows.map((r) => r.type!);
}

export function sqlInsightsSource(db: Kysely<any>, dialect: SqlDialect): InsightsSource {
  /**
   * One type's rows into `into`, people as actor ids (`actors`) until `events` resolves them,
   * ordered by time: the (tenant_id, type, time) key's order, no sort (log positions order ties in memory).
   */
  async function read(q: EventsQuery, type: string, limit: number, actors: Interner, into: ColumnsBuilder): Promise<boolean> {
    const { types, sessions } = q.interned;
    const columns = [sql`e.actor`, sql`e.time`, sql`e.seq`];
    if (sessions) columns.push(sql`e.session_key`);
    if (q.breakdown !== undefined) columns.push(sql`${propertyText(dialect, q.breakdown)} as value`);
    const join = q.breakdown !== undefined ? sql`left join events ev on ev.id = e.event_id and ev.tenant_id = e.tenant_id` : sql``;
    const to = q.until && Object.hasOwn(q.until, type) ? Math.min(q.until[type]!, q.to) : q.to;
    const { rows } = await sql<Row>`select ${sql.join(columns)} from analytics_events e ${join}
      where e.tenant_id = ${q.tenantId} and e.type = ${type} and e.time >= ${q.from} and e.time < ${to}
      order by e.time limit ${limit + 1}`.execute(db);
    const kept = Math.min(rows.length, limit);
    const typeId = types.id(type);
    for (let i = 0; i < kept; i++) {
      const r = rows[i]!;
      const session = sessions ? sessions.id(`${r.actor.length}:${r.actor}${r.session_key}`) : -1;
      const value = r.value === undefined || r.value === null ? null : String(r.value);
      into.push(actors.id(r.actor), Number(r.time), Number(r.seq), typeId, session, value);
    }
    return rows.length > limit;
  }

  /** The person of each actor: the user it was stitched to, else itself (looked up for the actors read only). */
  async function personsOf(tenantId: string, actors: Interner, persons: Interner): Promise<Int32Array> {
    const linked = new Map<string, string>();
    for (let i = 0; i < actors.size; i += LINK_CHUNK) {
      const part = actors.names.slice(i, i + LINK_CHUNK);
      const { rows } = await sql<{ id: string; person: string }>`select id, person from analytics_person_links
        where tenant_id = ${tenantId} and id in (${sql.join(part)})`.execute(db);
      for (const r of rows) linked.set(r.id, r.person);
    }
    return Int32Array.from(actors.names, (a) => persons.id(linked.get(a) ?? a));
  }

  /** The types to read: the given ones, or all the tenant's (with whether there were more than the cap). */
  async function typesToRead(tenantId: string, given: readonly string[] | null): Promise<{ types: string[]; more: boolean }> {
    if (given !== null) return { types: [...new Set(given)].sort(), more: false };
    const all = await typesOf(db, tenantId, MAX_SCAN_TYPES + 1);
    return { types: all.slice(0, MAX_SCAN_TYPES), more: all.length > MAX_SCAN_TYPES };
  }

  return {
    async events(q) {
      const into = new ColumnsBuilder(q.breakdown !== undefined);
      const actors = new Interner();
      const { types, more } = await typesToRead(q.tenantId, q.types);
      let truncated = more;
      for (const type of types) {
        if (into.length >= q.limit) { truncated = true; break; }
        truncated = (await read(q, type, q.limit - into.length, actors, into)) || truncated;
      }
      const columns: EventColumns = into.finish(truncated);
      const personOf = await personsOf(q.tenantId, actors, q.interned.persons);
      for (let i = 0; i < columns.length; i++) columns.person[i] = personOf[columns.person[i]!]!;
      return columns;
    },

    async peopleBefore(q) {
      const { rows } = await sql<{ actor: string }>`select distinct actor from analytics_events
        where tenant_id = ${q.tenantId} and type = ${q.type} and time < ${q.before} limit ${q.limit + 1}`.execute(db);
      const actors = new Interner();
      for (const r of rows.slice(0, q.limit)) actors.id(r.actor);
      return { persons: await personsOf(q.tenantId, actors, q.persons), truncated: rows.length > q.limit };
    },

    async sessionDays(q) {
      const day = sql`e.time / ${sql.lit(DAY_MS)}`;
      const { types, more } = await typesToRead(q.tenantId, null);
      if (types.length === 0) return { length: 0, day: new Float64Array(0), person: new Int32Array(0), session: new Int32Array(0), events: new Float64Array(0), truncated: false };
      // `type in (…)` gives each engine one key range per type (the whole tenant is never scanned).
      const { rows } = await sql<{ day: number | string; actor: string; session_key: string; events: number | string }>`
        select ${day} as day, e.actor, e.session_key, count(*) as events from analytics_events e
        where e.tenant_id = ${q.tenantId} and e.type in (${sql.join(types)}) and e.time >= ${q.from} and e.time < ${q.to}
        group by ${day}, e.actor, e.session_key order by 1 limit ${q.limit + 1}`.execute(db);
      const kept = Math.min(rows.length, q.limit);
      const actors = new Interner();
      const out: SessionDays = {
        length: kept, day: new Float64Array(kept), person: new Int32Array(kept), session: new Int32Array(kept), events: new Float64Array(kept),
        truncated: more || rows.length > q.limit,
      };
      for (let i = 0; i < kept; i++) {
        const r = rows[i]!;
        out.day[i] = Number(r.day) * DAY_MS;
        out.person[i] = actors.id(r.actor);
        out.session[i] = q.interned.sessions.id(`${r.actor.length}:${r.actor}${r.session_key}`);
        out.events[i] = Number(r.events);
      }
      const personOf = await personsOf(q.tenantId, actors, q.interned.persons);
      for (let i = 0; i < kept; i++) out.person[i] = personOf[out.person[i]!]!;
      return out;
    },

    async topTypes(tenantId, from, to, top) {
      const { types } = await typesToRead(tenantId, null);
      if (types.length === 0) return [];
      const { rows } = await sql<{ type: string; events: number | string }>`select type, count(*) as events from analytics_events
        where tenant_id = ${tenantId} and type in (${sql.join(types)}) and time >= ${from} and time < ${to}
        group by type order by count(*) desc, type limit ${top}`.execute(db);
      return rows.map((r) => ({ type: r.type, events: Number(r.events) }));
    },
  };
}
