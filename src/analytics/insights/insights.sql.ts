/**
 * The insights source over Kysely, one adapter for SQLite and PostgreSQL. Reads select only the
 * columns an answer needs, one statement per type so each walks the (tenant_id, type, time)
 * index in time order, and fill typed columns as the rows arrive (no object per row is kept).
 */
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { SqlDialect } from '../../feature.js';
import { ColumnsBuilder, type EventColumns } from './columns.js';
import type { EventsQuery, InsightsSource, OverviewFigures } from './insights.source.js';

const DAY_MS = 86_400_000;

interface Row {
  person: string;
  time: number | string;
  seq: number | string;
  type: string;
  actor?: string;
  session_key?: string;
  value?: string | number | null;
}

/** The breakdown property of the joined event's data, as text (null when absent or JSON null). */
function propertyText(dialect: SqlDialect, path: string): RawBuilder<string | null> {
  const parts = path.split('.');
  if (dialect === 'postgres') return sql`(ev.data::json #>> ${`{${parts.join(',')}}`}::text[])`;
  const jsonPath = `$.${parts.map((p) => `"${p}"`).join('.')}`;
  return sql`(case json_type(ev.data, ${jsonPath}) when 'null' then null when 'true' then 'true' when 'false' then 'false'
    else cast(json_extract(ev.data, ${jsonPath}) as text) end)`;
}

const PERSON = sql`coalesce(l.person, e.actor)`;
const FROM_EVENTS = sql`analytics_events e left join analytics_person_links l on l.tenant_id = e.tenant_id and l.id = e.actor`;
/** One session per actor and key, written unambiguously (the length prefix ends the actor). */
const SESSION = sql`(cast(length(e.actor) as text) || ':' || e.actor || e.session_key)`;

export function sqlInsightsSource(db: Kysely<any>, dialect: SqlDialect): InsightsSource {
  async function read(q: EventsQuery, type: string | null, limit: number, into: ColumnsBuilder): Promise<boolean> {
    const { persons, types, sessions } = q.interned;
    const columns = [sql`${PERSON} as person`, sql`e.time`, sql`e.seq`, sql`e.type`];
    if (sessions) columns.push(sql`e.actor`, sql`e.session_key`);
    if (q.breakdown !== undefined) columns.push(sql`${propertyText(dialect, q.breakdown)} as value`);
    const join = q.breakdown !== undefined ? sql`left join events ev on ev.id = e.event_id and ev.tenant_id = e.tenant_id` : sql``;
    const byType = type === null ? sql`` : sql`and e.type = ${type}`;
    const { rows } = await sql<Row>`select ${sql.join(columns)} from ${FROM_EVENTS} ${join}
      where e.tenant_id = ${q.tenantId} ${byType} and e.time >= ${q.from} and e.time < ${q.to}
      order by e.time, e.seq limit ${limit + 1}`.execute(db);
    const kept = Math.min(rows.length, limit);
    for (let i = 0; i < kept; i++) {
      const r = rows[i]!;
      const session = sessions ? sessions.id(`${r.actor!.length}:${r.actor}${r.session_key}`) : -1;
      const value = r.value === undefined || r.value === null ? null : String(r.value);
      into.push(persons.id(r.person), Number(r.time), Number(r.seq), types.id(r.type), session, value);
    }
    return rows.length > limit;
  }

  return {
    async events(q) {
      const into = new ColumnsBuilder(q.breakdown !== undefined);
      let truncated = false;
      const types = q.types === null ? [null] : [...new Set(q.types)].sort();
      for (const type of types) {
        if (into.length >= q.limit) { truncated = true; break; }
        truncated = (await read(q, type, q.limit - into.length, into)) || truncated;
      }
      return into.finish(truncated) satisfies EventColumns;
    },

    async overview(tenantId, from, to, top) {
      const where = sql`where e.tenant_id = ${tenantId} and e.time >= ${from} and e.time < ${to}`;
      const figures = sql`count(*) as events, count(distinct ${PERSON}) as people, count(distinct ${SESSION}) as sessions`;
      const day = sql`e.time / ${sql.lit(DAY_MS)}`;
      const days = await sql<{ day: number | string; events: number | string; people: number | string; sessions: number | string }>`
        select ${day} as day, ${figures} from ${FROM_EVENTS} ${where} group by ${day} order by 1`.execute(db);
      const totals = await sql<{ events: number | string; people: number | string; sessions: number | string }>`
        select ${figures} from ${FROM_EVENTS} ${where}`.execute(db);
      const topTypes = await sql<{ type: string; events: number | string; people: number | string }>`
        select e.type, count(*) as events, count(distinct ${PERSON}) as people from ${FROM_EVENTS} ${where}
        group by e.type order by count(*) desc, e.type limit ${top}`.execute(db);
      const t = totals.rows[0];
      return {
        days: days.rows.map((r) => ({ day: Number(r.day) * DAY_MS, events: Number(r.events), people: Number(r.people), sessions: Number(r.sessions) })),
        totals: { events: Number(t?.events ?? 0), people: Number(t?.people ?? 0), sessions: Number(t?.sessions ?? 0) },
        topTypes: topTypes.rows.map((r) => ({ type: r.type, events: Number(r.events), people: Number(r.people) })),
      } satisfies OverviewFigures;
    },
  };
}
