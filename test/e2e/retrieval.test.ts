/** Collections, event-driven indexing, hybrid search with filters, cache, rebuild by replay, answers. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestApp, type TestApp } from '../helpers/app.js';
import { minimalPdf } from '../helpers/pdf.js';

let t: TestApp;
beforeAll(async () => { t = await startTestApp(); });
afterAll(async () => { await t.close(); });

const search = async (body: object, key?: string) => t.call('POST', '/v1/search', body, key);
const ids = (res: { json(): { items: Array<{ documentId: string }> } }) => res.json().items.map((i) => i.documentId);

const ARTICLES = [
  { articleId: 'a1', name: 'Hex bolt M8', description: 'Zinc plated steel bolt with hexagon head for machine construction', category: 'fasteners', price: 0.12 },
  { articleId: 'a2', name: 'Wood screw 4x40', description: 'Countersunk screw for timber and furniture', category: 'fasteners', price: 0.05 },
  { articleId: 'a3', name: 'Cordless drill', description: 'Battery powered drill driver with two speeds and a torque clutch', category: 'tools', price: 89 },
  { articleId: 'a4', name: 'Akkuschrauber', description: 'Leichter Akku-Bohrschrauber mit Schnellspannbohrfutter für Holz und Metall', category: 'tools', price: 79 },
];

describe('indexing from events', () => {
  it('makes an article searchable after article.created (collection created from its template)', async () => {
    const res = await t.call('POST', '/v1/events/batch', ARTICLES.map((data) => ({ type: 'article.created', data })), t.ingestKey);
    expect(res.json().accepted).toBe(4);
    await eventually(async () => (await search({ query: 'drill', collections: ['articles'] })).statusCode === 200 && ids(await search({ query: 'drill', collections: ['articles'] })).includes('a3'));
    const collection = (await t.call('GET', '/v1/collections/articles')).json();
    expect(collection).toMatchObject({ name: 'articles', template: 'articles', stats: { documents: 4 } });
    expect(collection.stats.chunks).toBeGreaterThanOrEqual(4);
  });

  it('returns hits with text, highlight, score, metadata and the source event', async () => {
    const res = await search({ query: 'hexagon bolts', collections: ['articles'], limit: 2 });
    const top = res.json().items[0];
    expect(top).toMatchObject({ documentId: 'a1', collection: 'articles', metadata: { category: 'fasteners', price: 0.12 } });
    expect(top.highlight).toContain('<mark>hexagon</mark>');
    expect(top.sourceEventId).toMatch(/^[0-9a-f-]{36}$/);
    expect((await t.call('GET', `/v1/events/${top.sourceEventId}`)).json().type).toBe('article.created');
  });

  it('searches German text with stemming', async () => {
    expect(ids(await search({ query: 'Akkuschraubers für Metall', collections: ['articles'], limit: 1 }))).toEqual(['a4']);
  });

  it('filters by metadata in every mode', async () => {
    for (const mode of ['lexical', 'dense', 'hybrid']) {
      const res = await search({ query: 'drill screw bolt', collections: ['articles'], mode, filter: { and: [{ eq: { category: 'fasteners' } }, { range: { price: { lt: 0.1 } } }] } });
      expect(ids(res), mode).toEqual(['a2']);
    }
    const bad = await search({ query: 'x', collections: ['articles'], filter: { eq: { colour: 'red' } } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().detail).toContain('colour');
  });

  it('applies updates and deletes, and serves repeated queries from a cache that writes invalidate', async () => {
    const first = await search({ query: 'torque clutch', collections: ['articles'] });
    expect(first.json().cached).toBe(false);
    expect((await search({ query: 'torque clutch', collections: ['articles'] })).json().cached).toBe(true);
    await t.call('POST', '/v1/events', { type: 'article.updated', data: { articleId: 'a3', name: 'Cordless drill', description: 'Impact drill with hammer mode' } }, t.ingestKey);
    await eventually(async () => !ids(await search({ query: 'torque clutch', collections: ['articles'], mode: 'lexical' })).includes('a3'));
    expect(ids(await search({ query: 'hammer mode', collections: ['articles'], mode: 'lexical' }))).toContain('a3');
    await t.call('POST', '/v1/events', { type: 'article.deleted', data: { articleId: 'a2' } }, t.ingestKey);
    await eventually(async () => !ids(await search({ query: 'countersunk screw', collections: ['articles'] })).includes('a2'));
    expect((await t.call('GET', '/v1/collections/articles/documents/a2')).statusCode).toBe(404);
  });

  it('rebuilds a collection from the log with the same results', async () => {
    const before = (await search({ query: 'steel bolt drill', collections: ['articles'], mode: 'hybrid' })).json().items;
    const res = await t.call('POST', '/v1/collections/articles/rebuild');
    expect(res.statusCode).toBe(202);
    expect(res.json().replayed).toBeGreaterThanOrEqual(6);
    await eventually(async () => (await t.call('GET', '/v1/consumers')).json().items.find((c: { name: string }) => c.name === 'indexer').lagEvents === 0);
    const after = (await search({ query: 'steel bolt drill', collections: ['articles'], mode: 'hybrid' })).json().items;
    expect(after.map((h: { chunkId: string; score: number }) => [h.chunkId, h.score.toFixed(6)])).toEqual(before.map((h: { chunkId: string; score: number }) => [h.chunkId, h.score.toFixed(6)]));
  });
});

describe('documents through the API', () => {
  it('creates a custom collection and writes documents through the log', async () => {
    const created = await t.call('POST', '/v1/collections', { name: 'handbook', textFields: ['title', 'body'], titleField: 'title', metadata: { team: 'string', tags: 'string[]' }, language: 'en', chunking: { size: 300, overlap: 40 } });
    expect(created.statusCode).toBe(201);
    const put = await t.call('PUT', '/v1/collections/handbook/documents/vacation?wait=true', { title: 'Vacation policy', body: 'Employees get 30 days of paid leave per year. Requests go to your lead two weeks ahead.', team: 'hr', tags: ['policy', 'leave'] });
    expect(put.statusCode).toBe(200);
    expect(put.json()).toMatchObject({ documentId: 'vacation', indexed: true });
    const event = (await t.call('GET', `/v1/events/${put.json().eventId}`)).json();
    expect(event).toMatchObject({ type: 'document.upserted', subject: 'document/handbook/vacation' });
    const hits = (await search({ query: 'how many days of paid leave', collections: ['handbook'], filter: { in: { tags: ['leave'] } } })).json().items;
    expect(hits[0]).toMatchObject({ documentId: 'vacation', metadata: { team: 'hr', tags: ['policy', 'leave'] } });
  });

  it('does no work when an unchanged document is upserted again', async () => {
    const doc = (await t.call('GET', '/v1/collections/handbook/documents/vacation')).json();
    const again = await t.call('PUT', '/v1/collections/handbook/documents/vacation?wait=true', doc.fields);
    expect(again.json().indexed).toBe(true);
    const after = (await t.call('GET', '/v1/collections/handbook/documents/vacation')).json();
    expect(after.contentHash).toBe(doc.contentHash);
    const stats = (await t.call('GET', '/v1/collections/handbook')).json().stats;
    expect(stats.lastIndexedEventId).toBe(doc.sourceEventId); // the index was not written again
  });

  it('uploads Markdown and HTML files as documents', async () => {
    const boundary = '----eventrag';
    const part = (name: string, type: string, content: string) => `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\nContent-Type: ${type}\r\n\r\n${content}\r\n`;
    const body = part('expenses.md', 'text/markdown', '# Expenses\n\nTravel costs are refunded within 30 days with receipts.') +
      part('security.html', 'text/html', '<html><head><title>Security</title><script>x()</script></head><body><h1>Laptops</h1><p>Encrypt every laptop disk &amp; lock screens.</p></body></html>') + `--${boundary}--\r\n`;
    const res = await t.call('POST', '/v1/collections/handbook/files?wait=true', body, t.adminKey, { 'content-type': `multipart/form-data; boundary=${boundary}` });
    expect(res.statusCode).toBe(202);
    expect(res.json().items.map((i: { documentId: string }) => i.documentId)).toEqual(['expenses', 'security']);
    expect(ids(await search({ query: 'refund travel receipts', collections: ['handbook'], limit: 1 }))).toEqual(['expenses']);
    const security = (await t.call('GET', '/v1/collections/handbook/documents/security')).json();
    expect(security.fields.title).toBe('Security');
    expect(security.fields.body).toContain('Encrypt every laptop disk & lock screens.');
    expect(security.fields.body).not.toContain('x()');
  });

  it('extracts the text of an uploaded PDF', async () => {
    const boundary = '----pdf';
    const pdf = minimalPdf(['Warranty terms', 'Power tools carry a three year warranty from the date of purchase.']);
    const body = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="id"\r\n\r\nwarranty\r\n--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="warranty.pdf"\r\nContent-Type: application/pdf\r\n\r\n`),
      pdf, Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const res = await t.call('POST', '/v1/collections/handbook/files?wait=true', body, t.adminKey, { 'content-type': `multipart/form-data; boundary=${boundary}` });
    expect(res.statusCode).toBe(202);
    expect(res.json().items[0]).toMatchObject({ documentId: 'warranty', fileName: 'warranty.pdf', indexed: true });
    expect(ids(await search({ query: 'how long is the warranty on power tools', collections: ['handbook'], limit: 1 }))).toEqual(['warranty']);
    const broken = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="broken.pdf"\r\nContent-Type: application/pdf\r\n\r\n`),
      Buffer.from('%PDF-1.4 not really'), Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const bad = await t.call('POST', '/v1/collections/handbook/files', broken, t.adminKey, { 'content-type': `multipart/form-data; boundary=${boundary}` });
    expect(bad.statusCode).toBe(422);
    expect(bad.json()).toMatchObject({ code: 'DOCUMENT_UNREADABLE' });
    expect(bad.json().detail).toContain('not a readable PDF');
  });

  it('rejects unknown collections, bad names and unsupported files', async () => {
    expect((await t.call('PUT', '/v1/collections/nope/documents/x', { a: 1 })).statusCode).toBe(404);
    expect((await t.call('POST', '/v1/collections', { name: 'Bad Name', textFields: ['a'] })).statusCode).toBe(400);
    expect((await t.call('POST', '/v1/collections', { name: 'handbook', textFields: ['a'] })).statusCode).toBe(409);
    const boundary = 'b';
    const body = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="x.bin"\r\nContent-Type: application/octet-stream\r\n\r\n\u0000\u0001\r\n--${boundary}--\r\n`;
    const res = await t.call('POST', '/v1/collections/handbook/files', body, t.adminKey, { 'content-type': `multipart/form-data; boundary=${boundary}` });
    expect(res.statusCode).toBe(415);
  });
});

describe('answers and tracking', () => {
  it('answers extractively with [n] citations pointing at chunks', async () => {
    const res = await t.call('POST', '/v1/answer', { query: 'How many days of paid leave do employees get?', collections: ['handbook'] });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ generator: 'extractive', degraded: false });
    expect(body.answer).toMatch(/30 days of paid leave.*\[\d\]/s);
    const n = Number(/\[(\d)\]/.exec(body.answer)![1]);
    expect(body.citations.find((c: { n: number }) => c.n === n)).toMatchObject({ documentId: 'vacation', collection: 'handbook' });
  });

  it('tracks searches and answers as events with latency and result ids', async () => {
    await search({ query: 'laptop encryption', collections: ['handbook'] });
    await t.app.tracker.flush();
    const event = await eventually(async () => (await t.call('GET', '/v1/events?type=search.performed')).json().items.find((e: { data: { query: string } }) => e.data.query === 'laptop encryption'));
    expect(event.data).toMatchObject({ route: '/v1/search', status: 200, collections: ['handbook'], resultIds: expect.arrayContaining(['security']) });
    expect((await t.call('GET', '/v1/events?type=answer.generated')).json().items.length).toBeGreaterThan(0);
  });
});
