/**
 * Runtime subscriptions on the scale-out shape (PostgreSQL + NATS, separate processes): a
 * collection created through one process, with a source type no collection had, is fed by the
 * indexer running in another, which started before it existed; so is a source added later by a
 * PATCH. The indexer runs in a `serve` (role all) process, whose search route the test polls
 * (its embedded search index lives in that process); collections and events go in through a
 * `serve --role api` process.
 *
 * Just before, the indexer handled an article of the same tenant, so anything it caches about
 * the tenant's collections is fresh and lacks the new one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/app.js';
import { deleteStream } from '../helpers/nats.js';
import { childEnv, killAll, provisionTenant, runCommand, startServer, type ServerProcess } from '../helpers/processes.js';
import { freshPgSchema, natsUrl, uniqueSuffix, type FreshPgSchema } from '../helpers/services.js';

const run = uniqueSuffix();
const stream = `RS_${run}`;
/** Two processes booting at once on a busy 2-core machine take a while. */
const BOOT_MS = 90_000;
let schema: FreshPgSchema;
let api: ServerProcess;
let node: ServerProcess;
let acme: Record<string, string>;
let other: Record<string, string>;

beforeAll(async () => {
  schema = await freshPgSchema();
  const env = childEnv({
    DATABASE_URL: schema.connectionString, DATABASE_SCHEMA: schema.schema,
    NATS_URL: natsUrl(), NATS_STREAM: stream, NATS_SUBJECT_PREFIX: `rs${run}`,
    CONSUMER_POLL_MS: '100', LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
  });
  await runCommand(['migrate'], env);
  acme = await provisionTenant(schema.connectionString, schema.schema, 'acme', ['ingest', 'admin']);
  other = await provisionTenant(schema.connectionString, schema.schema, 'other', ['ingest', 'admin']);
  [api, node] = await Promise.all([startServer('api', ['serve', '--role', 'api'], env, BOOT_MS), startServer('node', ['serve'], env, BOOT_MS)]);
}, 2 * BOOT_MS);

afterAll(async () => {
  await killAll();
  await deleteStream(stream).catch(() => undefined);
  await schema?.drop();
});

async function call(server: ServerProcess, method: string, path: string, key: string, body?: unknown) {
  const res = await fetch(`${server.url}${path}`, {
    method, headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  return { status: res.status, body: text, json: () => JSON.parse(text) as Record<string, any> };
}

async function send(key: string, event: Record<string, unknown>): Promise<string> {
  const res = await call(api, 'POST', '/v1/events', key, event);
  expect(res.status, res.body).toBe(202);
  return res.json().id as string;
}

/** Hits of a search on the indexing process: [documentId, text] pairs. */
async function search(key: string, collection: string, query: string): Promise<Array<{ documentId: string; text: string; sourceEventId: string }>> {
  const res = await call(node, 'POST', '/v1/search', key, { query, collections: [collection], mode: 'lexical', limit: 10 });
  if (res.status === 404) return [];
  expect(res.status, res.body).toBe(200);
  return res.json().items;
}

const SEARCHABLE_MS = 10_000;

describe('runtime subscription (PostgreSQL + NATS, API and indexing processes)', () => {
  it('a collection created at runtime with source ticket.opened: the next ticket.opened is searchable within 10 s', { timeout: 60_000 }, async () => {
    // The indexer is busy with this tenant right before the collection appears.
    for (const n of [1, 2]) {
      const id = await send(acme.ingest!, { type: 'article.created', data: { articleId: `a${n}`, name: `Flange bolt ${n}`, description: 'galvanised' } });
      await eventually(async () => (await search(acme.admin!, 'articles', `flange bolt ${n}`)).some((h) => h.sourceEventId === id), SEARCHABLE_MS, 50);
    }

    const created = await call(api, 'POST', '/v1/collections', acme.admin!, {
      name: 'tickets', textFields: ['title', 'body'], titleField: 'title', sources: [{ type: 'ticket.opened', op: 'upsert', idField: 'ticketId' }],
    });
    expect(created.status, created.body).toBe(201);
    const opened = await send(acme.ingest!, { type: 'ticket.opened', data: { ticketId: 'tk-1', title: 'Printer on fire', body: 'smoke from tray two' } });
    // Another tenant's event of the same type and id is no source of acme's collection.
    const foreign = await send(other.ingest!, { type: 'ticket.opened', data: { ticketId: 'tk-1', title: 'Printer on fire', body: 'foreign smoke' } });

    const hits = await eventually(async () => {
      const found = await search(acme.admin!, 'tickets', 'printer fire smoke');
      return found.length > 0 && found;
    }, SEARCHABLE_MS, 50);
    expect(hits.map((h) => [h.documentId, h.sourceEventId])).toEqual([['tk-1', opened]]);
    expect(hits[0]!.text).toContain('tray two');
    expect(hits.some((h) => h.sourceEventId === foreign)).toBe(false);
    // The other tenant has no such collection, and finds nothing of acme's.
    expect((await call(node, 'POST', '/v1/search', other.admin!, { query: 'printer', collections: ['tickets'], mode: 'lexical' })).status).toBe(404);

    // Every process reads the subscription as it is now: the API process lists the new type.
    const consumers = (await call(api, 'GET', '/v1/consumers', acme.admin!)).json().items as Array<{ name: string; types: string[] }>;
    expect(consumers.find((c) => c.name === 'indexer')!.types).toContain('ticket.opened');
    const event = (await call(api, 'GET', `/v1/events/${opened}`, acme.admin!)).json();
    expect(event.deliveries.find((d: { consumer: string }) => d.consumer === 'indexer')).toMatchObject({ status: 'done' });
  });

  it('a source added to the collection later (PATCH) feeds it within 10 s too', { timeout: 30_000 }, async () => {
    const patched = await call(api, 'PATCH', '/v1/collections/tickets', acme.admin!, {
      sources: [{ type: 'ticket.opened', op: 'upsert', idField: 'ticketId' }, { type: 'ticket.escalated', op: 'upsert', idField: 'ticketId' }],
    });
    expect(patched.status, patched.body).toBe(200);
    const escalated = await send(acme.ingest!, { type: 'ticket.escalated', data: { ticketId: 'tk-2', title: 'Server room flooded', body: 'water under the racks' } });
    const hits = await eventually(async () => {
      const found = await search(acme.admin!, 'tickets', 'flooded racks');
      return found.length > 0 && found;
    }, SEARCHABLE_MS, 50);
    expect(hits.map((h) => [h.documentId, h.sourceEventId])).toEqual([['tk-2', escalated]]);
  });
});
