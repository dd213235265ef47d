/**
 * Upgrade in place: the current server starts on a database written by the previous release
 * (test/fixtures/upgrade, made by make-previous-release.ts from commit 498154e), on SQLite and on
 * PostgreSQL, and finds every event, collection, document, trait and search result as the old
 * release left them. Consumers resume where the old release stopped: nothing old is applied
 * twice (the stats counts stay as they were), new events are applied once.
 *
 * The embedded search index is a cache outside the database (DATA_DIR/search) and not part of
 * the fixture: each collection is rebuilt (POST /v1/collections/:name/rebuild) before searching.
 */
import { copyFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestApp, type TestApp } from '../helpers/app.js';
import { postgresUrl, uniqueSuffix } from '../helpers/services.js';

const FIXTURES = join(import.meta.dirname, '../fixtures/upgrade');
const DUMP_SCHEMA = 'eventrag_prev_release';

interface Expectation {
  keys: { admin: string; ingest: string; member: { key: string; userId: string } };
  events: { count: number; ids: string[]; byType: Record<string, number> };
  memberEvents: string[];
  idempotent: Array<{ key: string; id: string; body: Record<string, unknown> }>;
  collections: string[];
  documents: Record<string, Record<string, unknown>>;
  searches: Array<{ query: string; collections: string[]; mode: string; top: string[] }>;
  stats: Array<{ type: string; hour: string; count: number }>;
  traits: Record<string, Record<string, unknown>>;
}
type Shape = 'sqlite' | 'postgres';
const expectations = JSON.parse(readFileSync(join(FIXTURES, 'previous-release.expect.json'), 'utf8')) as Record<Shape, Expectation>;

async function postgresReachable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: postgresUrl(), connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

async function pgQuery(text: string): Promise<void> {
  const client = new pg.Client({ connectionString: postgresUrl() });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

/** Restores the dump into `schema`: psql's meta-commands dropped, the dumped schema's name replaced. */
async function restoreDump(schema: string): Promise<void> {
  const dump = readFileSync(join(FIXTURES, 'previous-release.pg.sql'), 'utf8')
    .split('\n').filter((line) => !line.startsWith('\\')).join('\n')
    .replaceAll(new RegExp(`\\b${DUMP_SCHEMA}\\b`, 'g'), schema);
  await pgQuery(dump);
}

/** A data directory (and for PostgreSQL a schema) holding the previous release's database. */
async function previousRelease(shape: Shape): Promise<{ dataDir: string; overrides: Record<string, unknown>; drop: () => Promise<void> }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'eventrag-upgrade-'));
  if (shape === 'sqlite') {
    copyFileSync(join(FIXTURES, 'previous-release.sqlite'), join(dataDir, 'eventrag.db'));
    return { dataDir, overrides: {}, drop: async () => {} };
  }
  const schema = `t_upgrade_${uniqueSuffix()}`;
  await restoreDump(schema);
  return { dataDir, overrides: { DATABASE_URL: postgresUrl(), DATABASE_SCHEMA: schema }, drop: () => pgQuery(`drop schema if exists "${schema}" cascade`) };
}

const pgUp = await postgresReachable();
const STATS_RANGE = 'from=2026-01-01T00:00:00Z&to=2027-01-01T00:00:00Z';
const LATER = Date.parse('2026-11-03T10:00:00Z');

describe.each<Shape>(['sqlite', 'postgres'])('upgrading a %s database of the previous release', (shape) => {
  const expected = expectations[shape];
  let t: TestApp;
  let drop = async () => {};
  const member = () => expected.keys.member.key;

  beforeAll(async () => {
    if (shape === 'postgres' && !pgUp) return;
    const prev = await previousRelease(shape);
    drop = prev.drop;
    t = await startTestApp(
      // The fixture's idempotency keys are older than a day by the time this runs.
      { IDEMPOTENCY_WINDOW_HOURS: 1_000_000, ...prev.overrides }, {},
      { dataDir: prev.dataDir, adminKey: expected.keys.admin, ingestKey: expected.keys.ingest },
    );
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await drop();
  });

  const json = async (method: 'GET' | 'POST' | 'PUT', url: string, body?: unknown, key?: string | null) => {
    const reply = await t.call(method, url, body, key);
    expect(reply.statusCode, `${method} ${url}: ${reply.body}`).toBeLessThan(300);
    return reply.json();
  };
  async function allEventIds(key?: string): Promise<string[]> {
    const ids: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: Array<{ id: string }>; nextCursor: string | null } = await json('GET', `/v1/events?limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, undefined, key);
      ids.push(...page.items.map((e) => e.id));
      cursor = page.nextCursor;
    } while (cursor);
    return ids.sort();
  }
  const stats = async () => (await json('GET', `/v1/events/stats?${STATS_RANGE}`)).items as Expectation['stats'];
  const caughtUp = async () => {
    const { items } = await json('GET', '/v1/consumers');
    return items.filter((c: { delivery: string }) => c.delivery === 'durable').every((c: { lagEvents: number }) => c.lagEvents === 0);
  };

  it.skipIf(shape === 'postgres' && !pgUp)('keeps every event, and members still see only their own', async () => {
    expect(await allEventIds()).toEqual(expected.events.ids);
    expect(expected.events.ids).toHaveLength(expected.events.count);
    expect(await allEventIds(member())).toEqual(expected.memberEvents);
    const others = expected.events.ids.filter((id) => !expected.memberEvents.includes(id));
    expect((await t.call('GET', `/v1/events/${others[0]}`, undefined, member())).statusCode).toBe(404);
  });

  it.skipIf(shape === 'postgres' && !pgUp)('keeps the collections, their documents and the users\' traits', async () => {
    const { items } = await json('GET', '/v1/collections');
    expect(items.map((c: { name: string }) => c.name).sort()).toEqual(expected.collections);
    for (const [path, document] of Object.entries(expected.documents)) {
      const [collection, id] = path.split('/');
      expect(await json('GET', `/v1/collections/${collection}/documents/${id}`)).toMatchObject(document);
    }
    expect((await t.call('GET', '/v1/collections/kb/documents/obsolete')).statusCode).toBe(404);
    for (const [userId, traits] of Object.entries(expected.traits)) {
      expect((await json('GET', `/v1/users/${userId}/traits`)).traits).toEqual(traits);
    }
  });

  it.skipIf(shape === 'postgres' && !pgUp)('resumes the consumers where the old release left off: old events are not applied again', async () => {
    await eventually(caughtUp, 20_000, 100);
    expect(await stats()).toEqual(expected.stats);
    // Every old event reads as delivered to every durable consumer that wanted it.
    const event = await json('GET', `/v1/events/${expected.idempotent[0]!.id}`);
    expect(event.deliveries.length).toBeGreaterThan(0);
    expect(event.deliveries.every((d: { status: string }) => d.status === 'done')).toBe(true);
  });

  it.skipIf(shape === 'postgres' && !pgUp)('honours an idempotency key sent before the upgrade', async () => {
    const { key, id, body } = expected.idempotent[0]!;
    expect(body.idempotencyKey).toBe(key);
    const reply = await t.call('POST', '/v1/events', body, expected.keys.ingest);
    expect(reply.statusCode).toBe(202);
    expect(reply.json()).toMatchObject({ id, duplicate: true });
  });

  it.skipIf(shape === 'postgres' && !pgUp)('accepts new events and applies each once', async () => {
    const time = new Date(LATER).toISOString();
    const hour = new Date(LATER).toISOString().replace(/\.\d{3}Z$/, '.000Z');
    for (let i = 0; i < 3; i += 1) {
      const reply = await t.call('POST', '/v1/events', { type: 'widget.clicked', userId: 'u-new', time, data: { widgetId: `w-new-${i}` } }, expected.keys.ingest);
      expect(reply.statusCode).toBe(202);
    }
    const article = { articleId: 'map-6', name: 'Topographic trail map', description: 'A folded map of alpine trails with contour lines', category: 'navigation', price: 15, stock: 9 };
    expect((await t.call('POST', '/v1/events', { type: 'article.created', userId: 'u-admin', time, data: article }, expected.keys.ingest)).statusCode).toBe(202);
    await eventually(async () => (await caughtUp()) && (await stats()).some((s) => s.type === 'widget.clicked' && s.hour === hour), 20_000, 100);
    const now = await stats();
    expect(now.filter((s) => s.hour === hour).sort((a, b) => a.type.localeCompare(b.type))).toEqual([
      { type: 'article.created', hour, count: 1 }, { type: 'widget.clicked', hour, count: 3 },
    ]);
    expect(now.filter((s) => s.hour !== hour)).toEqual(expected.stats);
    expect(await json('GET', '/v1/collections/articles/documents/map-6')).toMatchObject({ id: 'map-6' });
    expect((await allEventIds()).length).toBe(expected.events.count + 4);
  });

  it.skipIf(shape === 'postgres' && !pgUp)('answers the old searches once the index is rebuilt from the store', async () => {
    for (const name of expected.collections) await json('POST', `/v1/collections/${name}/rebuild`);
    // A part-built index ranks differently (other term statistics): wait for the replays to finish.
    await eventually(caughtUp, 20_000, 100);
    for (const search of expected.searches) {
      const body = { query: search.query, collections: search.collections, limit: 3, mode: search.mode };
      const top = await eventually(async () => {
        const { items } = await json('POST', '/v1/search', body);
        const ids = items.map((hit: { collection: string; documentId: string }) => `${hit.collection}/${hit.documentId}`);
        return ids.length >= search.top.length ? ids : null;
      }, 20_000, 100);
      expect(top.slice(0, search.top.length)).toEqual(search.top);
    }
    // The article added after the upgrade is found too.
    const { items } = await json('POST', '/v1/search', { query: 'topographic map', collections: ['articles'], mode: 'lexical' });
    expect(items[0]?.documentId).toBe('map-6');
  });
});
