/**
 * The indexer's subscription is read at run time, in every process: an API process and a worker
 * share one PostgreSQL schema; a collection created through the API after the worker started,
 * with a source type no collection had, is fed by the worker's indexer within seconds (no
 * restart, no refresh timer). The stored document is read back through the API process.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createApp, type App } from '../../src/main.js';
import { createLogger } from '../../src/platform/logger.js';
import { eventually, startTestApp, type TestApp } from '../helpers/app.js';
import { freshPgSchema, type FreshPgSchema } from '../helpers/services.js';

let schema: FreshPgSchema;
let api: TestApp;
let worker: App;
let workerDir: string;

beforeAll(async () => {
  schema = await freshPgSchema();
  const shared = { DATABASE_URL: schema.connectionString, DATABASE_SCHEMA: schema.schema };
  api = await startTestApp({ ...shared, ROLE: 'api' });
  workerDir = mkdtempSync(join(tmpdir(), 'eventrag-worker-'));
  const config = loadConfig({ ...shared, DATA_DIR: workerDir, ROLE: 'worker', LOG_LEVEL: 'silent', CONSUMER_POLL_MS: 50 }, {});
  worker = await createApp(config, { logger: createLogger('silent') });
  await worker.startWorkers();
}, 60_000);

afterAll(async () => {
  await worker?.stop();
  await api?.close();
  if (workerDir) rmSync(workerDir, { recursive: true, force: true });
  await schema?.drop();
});

describe('indexer subscription at run time', () => {
  it('a collection created after the worker started is fed by it, even while the worker holds the tenant\'s collections', async () => {
    // The worker reads the tenant's collections for this event (and would keep them a while).
    expect((await api.call('POST', '/v1/collections', { name: 'kb', template: 'policies' })).statusCode).toBe(201);
    await api.call('PUT', '/v1/collections/kb/documents/p1?wait=true', { title: 'Travel', body: 'Trains under 600 km.' });
    await eventually(async () => (await api.call('GET', '/v1/collections/kb/documents/p1')).statusCode === 200);

    const created = await api.call('POST', '/v1/collections', {
      name: 'tickets', textFields: ['title'], sources: [{ type: 'ticket.opened', op: 'upsert', idField: 'ticketId' }],
    });
    expect(created.statusCode, created.body).toBe(201);
    const sent = await api.call('POST', '/v1/events', { type: 'ticket.opened', data: { ticketId: 'tk-1', title: 'The printer is on fire' } }, api.ingestKey);
    expect(sent.statusCode, sent.body).toBe(202);

    const doc = await eventually(async () => {
      const res = await api.call('GET', '/v1/collections/tickets/documents/tk-1');
      return res.statusCode === 200 ? (res.json() as { fields: Record<string, unknown> }) : null;
    }, 10_000);
    expect(doc.fields).toMatchObject({ title: 'The printer is on fire' });
    const tenant = (await worker.backends.store.tenants.bySlug('demo'))!;
    const hits = await worker.retrieval.search.search({ tenantId: tenant.id, query: 'printer fire', collections: ['tickets'], limit: 5, mode: 'lexical' });
    expect(hits.items.map((i) => i.documentId)).toEqual(['tk-1']);
  });
});
