/**
 * The insights source over Kysely, one adapter for SQLite and PostgreSQL. Reads select only the
 * columns an answer needs, one statement per type so each walks the (tenant_id, type, time)
 * index in time order, and fill typed columns as the rows arrive (no object per row is kept).
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
  type?: string;
  session_key?: string;
  value?: string | number | null;
}

/** Actors per statement of the link lookup: within both engines' parameter limits. */
const LINK_CHUNK = 500;

/** The breakdown property of the joined event's data, as text (null when absent or JSON null). */
function propertyText(dialect: SqlDialect, path: string): RawBuilder<string | null> {
  const parts = path.split('.');
  if (dialect === 'postgres') return sql`(ev.data::json #>> ${`{${parts.join(',')}}`}::text[])`;
  const jsonPath = `$.${parts.map((p) => `"${p}"`).join('.')}`;
  return sql`(case json_type(ev.data, ${jsonPath}) when 'null' then null when 'true' then 'true' when 'false' then 'false'
    else cast(json_extract(ev.data, ${jsonPath}) as text) end)`;
}

export function sqlInsightsSource(db: Kysely<any>, dialect: SqlDialect): InsightsSource {
  /**
   * One statement's rows into `into`, people as actor ids (`actors`) until `events` resolves
   * them. A read of one type selects no type column; the statement orders by time alone, which
   * the (tenant_id, type, time) index gives without a sort (log positions order ties in memory).
   */
  async function read(q: EventsQuery, type: string | null, limit: number, actors: Interner, into: ColumnsBuilder): Promise<boolean> {
    const { types, sessions } = q.interned;
    const columns = [sql`e.actor`, sql`e.time`, sql`e.seq`];
    if (type === null) columns.push(sql`e.type`);
    if (sessions) columns.push(sql`e.session_key`);
    if (q.breakdown !== undefined) columns.push(sql`${propertyText(dialect, q.breakdown)} as value`);
    const join = q.breakdown !== undefined ? sql`left join events ev on ev.id = e.event_id and ev.tenant_id = e.tenant_id` : sql``;
    const byType = type === null ? sql`` : sql`and e.type = ${type}`;
    const to = type !== null && q.until && Object.hasOwn(q.until, type) ? Math.min(q.until[type]!, q.to) : q.to;
    const { rows } = await sql<Row>`select ${sql.join(columns)} from analytics_events e ${join}
      where e.tenant_id = ${q.tenantId} ${byType} and e.time >= ${q.from} and e.time < ${to}
      order by e.time limit ${limit + 1}`.execute(db);
    const kept = Math.min(rows.length, limit);
    const typeId = type === null ? -1 : types.id(type);
    for (let i = 0; i < kept; i++) {
      const r = rows[i]!;
      const session = sessions ? sessions.id(`${r.actor.length}:${r.actor}${r.session_key}`) : -1;
      const value = r.value === undefined || r.value === null ? null : String(r.value);
      into.push(actors.id(r.actor), Number(r.time), Number(r.seq), typeId >= 0 ? typeId : types.id(r.type!), session, value);
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

  return {
    async events(q) {
      const into = new ColumnsBuilder(q.breakdown !== undefined);
      const actors = new Interner();
      let truncated = false;
      const types = q.types === null ? [null] : [...new Set(q.types)].sort();
      for (const type of types) {
        if (into.length >= q.limit) { truncated = true; break; }
        truncated = (await read(q, type, q.limit - into.length, actors, into)) || truncated;
      }
      const columns: EventColumns = into.finish(truncated);
      const personOf = await personsOf(q.tenantId, actors, q.interned.persons);
      for (let i = 0; i < columns.length; i++) columns.person[i] = personOf[columns.person[i]!]!;
      return columns;
    },

    async sessionDays(q) {
      const day = sql`e.time / ${sql.lit(DAY_MS)}`;
      const { rows } = await sql<{ day: number | string; actor: string; session_key: string; events: number | string }>`
        select ${day} as day, e.actor, e.session_key, count(*) as events from analytics_events e
        where e.tenant_id = ${q.tenantId} and e.time >= ${q.from} and e.time < ${q.to}
        group by ${day}, e.actor, e.session_key order by 1 limit ${q.limit + 1}`.execute(db);
      const kept = Math.min(rows.length, q.limit);
      const actors = new Interner();
      const out: SessionDays = {
        length: kept, day: new Float64Array(kept), person: new Int32Array(kept), session: new Int32Array(kept), events: new Float64Array(kept),
        truncated: rows.length > q.limit,
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
      const { rows } = await sql<{ type: string; events: number | string }>`select e.type, count(*) as events from analytics_events e
        where e.tenant_id = ${tenantId} and e.time >= ${from} and e.time < ${to}
        group by e.type order by count(*) desc, e.type limit ${top}`.execute(db);
      return rows.map((r) => ({ type: r.type, events: Number(r.events) }));
    },
  };
}
