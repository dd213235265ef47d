/**
 * Uploads never stall or overload the server: HTML and PDF are read in a worker thread under a
 * time limit, extracted text and the resulting event are bounded in bytes, and every limit
 * answers problem+json. Regression tests for the flate bomb, the 3 MB upload event and the
 * quadratic HTML converter.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../src/identity/keys.service.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { minimalPdf } from '../helpers/pdf.js';
import { file, flateBombPdf, multipartBody, multipartHeaders } from '../helpers/uploads.js';

let t: TestApp;
let base: string;

async function listen(app: TestApp): Promise<string> {
  await app.app.http!.listen({ host: '127.0.0.1', port: 0 });
  const address = app.app.http!.server.address();
  if (!address || typeof address === 'string') throw new Error('no address');
  return `http://127.0.0.1:${address.port}`;
}

function upload(url: string, body: Buffer, key: string) {
  return fetch(url, { method: 'POST', headers: { authorization: `Bearer ${key}`, ...multipartHeaders() }, body });
}

async function expectProblem(res: { status?: number; statusCode?: number; headers: unknown; json(): unknown }, status: number, code: string) {
  const body = await res.json() as { code: string; status: number };
  expect(res.status ?? res.statusCode).toBe(status);
  expect(body).toMatchObject({ code, status });
  return body as { code: string; status: number; detail: string };
}

beforeAll(async () => {
  // A generous time limit here: these tests are about the text limits (the time limit has its own app below).
  t = await startTestApp({ UPLOAD_EXTRACT_TIMEOUT_MS: 60_000 });
  base = await listen(t);
  const res = await t.call('POST', '/v1/collections', { name: 'handbook', textFields: ['title', 'body'], titleField: 'title' });
  expect(res.statusCode).toBe(201);
});
afterAll(async () => { await t.close(); });

describe('a PDF flate bomb (60 KB inflating to 20 MB of text)', () => {
  it('answers 413 DOCUMENT_TEXT_TOO_LARGE, while /health/live keeps answering during the upload', async () => {
    const bomb = flateBombPdf(20);
    expect(bomb.length).toBeLessThan(200 * 1024);
    const order: string[] = [];
    const uploading = upload(`${base}/v1/collections/handbook/files`, multipartBody([file('bomb.pdf', 'application/pdf', bomb)]), t.adminKey)
      .then(async (res) => { order.push('upload'); return { res, body: await res.json() as { code: string; status: number } }; });
    await new Promise((resolve) => setTimeout(resolve, 300)); // the upload is being read by now
    const health = await fetch(`${base}/health/live`);
    order.push('health');
    expect(health.status).toBe(200);
    const { res, body } = await uploading;
    expect(res.status).toBe(413);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(body).toMatchObject({ code: 'DOCUMENT_TEXT_TOO_LARGE', status: 413 });
    expect(order).toEqual(['health', 'upload']);
    expect((await t.call('GET', '/v1/collections/handbook/documents/bomb')).statusCode).toBe(404);
  });

  it('still reads ordinary PDFs afterwards', async () => {
    const pdf = minimalPdf(['Warranty terms', 'Power tools carry a three year warranty.']);
    const res = await t.call('POST', '/v1/collections/handbook/files?wait=true', multipartBody([file('warranty.pdf', 'application/pdf', pdf)]), t.adminKey, multipartHeaders());
    expect(res.statusCode).toBe(202);
    const doc = (await t.call('GET', '/v1/collections/handbook/documents/warranty')).json();
    expect(doc.fields.body).toContain('three year warranty');
  });

  it('answers 422 DOCUMENT_UNREADABLE for a broken PDF', async () => {
    const res = await t.call('POST', '/v1/collections/handbook/files', multipartBody([file('broken.pdf', 'application/pdf', '%PDF-1.4 not really')]), t.adminKey, multipartHeaders());
    const body = await expectProblem(res, 422, 'DOCUMENT_UNREADABLE');
    expect(body.detail).toContain('broken.pdf');
  });
});

describe('text and event size', () => {
  it('rejects a text file over the text limit with 413 naming the limit, and writes none of the upload', async () => {
    const small = file('fine.txt', 'text/plain', 'A fine little file.');
    const big = file('big.txt', 'text/plain', 'x'.repeat(300 * 1024));
    const res = await t.call('POST', '/v1/collections/handbook/files', multipartBody([small, big]), t.adminKey, multipartHeaders());
    const body = await expectProblem(res, 413, 'DOCUMENT_TEXT_TOO_LARGE');
    expect(body.detail).toContain(String(256 * 1024));
    expect((await t.call('GET', '/v1/collections/handbook/documents/fine')).statusCode).toBe(404);
  });

  it('rejects a file whose document event would be just over EVENT_MAX_BYTES', async () => {
    // 256 KiB minus 1 KiB of text fits the text limit; its JSON-escaped line breaks push the event over it.
    const text = 'line\n'.repeat(Math.floor((255 * 1024) / 5));
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(256 * 1024);
    const res = await t.call('POST', '/v1/collections/handbook/files', multipartBody([file('lines.txt', 'text/plain', text)]), t.adminKey, multipartHeaders());
    const body = await expectProblem(res, 413, 'DOCUMENT_TEXT_TOO_LARGE');
    expect(body.detail).toContain('EVENT_MAX_BYTES');
  });

  it('stores a file just under the limits completely', async () => {
    const text = `${'All of it is kept. '.repeat(10_000)}THE END`;
    const res = await t.call('POST', '/v1/collections/handbook/files?wait=true', multipartBody([file('whole.txt', 'text/plain', text)]), t.adminKey, multipartHeaders());
    expect(res.statusCode).toBe(202);
    expect(res.json().items[0]).toMatchObject({ documentId: 'whole', characters: text.length });
    expect((await t.call('GET', '/v1/collections/handbook/documents/whole')).json().fields.body).toBe(text);
  });

  it('converts 1 MB of hostile HTML without blocking (the regex converter was quadratic on it)', async () => {
    const hostile = '<!--'.repeat(100_000) + '<script'.repeat(50_000);
    const res = await t.call('POST', '/v1/collections/handbook/files', multipartBody([file('hostile.html', 'text/html', hostile)]), t.adminKey, multipartHeaders());
    expect(res.statusCode).toBe(202);
    expect(res.json().items[0]).toMatchObject({ documentId: 'hostile', characters: 0 }); // all of it is an unterminated comment
    const entities = await t.call('POST', '/v1/collections/handbook/files?wait=true', multipartBody([file('entities.html', 'text/html', '<p>bad &#x110000; and &#xD800; refs</p>')]), t.adminKey, multipartHeaders());
    expect(entities.statusCode).toBe(202);
    expect((await t.call('GET', '/v1/collections/handbook/documents/entities')).json().fields.body).toBe('bad \uFFFD and \uFFFD refs');
  });
});

describe('Markdown', () => {
  it('indexes a Markdown file whose heading line is 200 KB of spaces (the heading regex took minutes on 5 KB)', async () => {
    const md = `# Spaced${' '.repeat(200_000)}out\n\nThe body of a document with an odd heading.`;
    const res = await t.call('POST', '/v1/collections/handbook/files?wait=true', multipartBody([file('spaced.md', 'text/markdown', md)]), t.adminKey, multipartHeaders());
    expect(res.statusCode).toBe(202);
    expect(res.json().items[0]).toMatchObject({ documentId: 'spaced', indexed: true });
    expect((await t.call('GET', '/health/live', undefined, null)).statusCode).toBe(200);
  });
});

describe('with a short extraction time limit and a small file limit', () => {
  let tight: TestApp;
  let tightBase: string;
  beforeAll(async () => {
    tight = await startTestApp({ UPLOAD_EXTRACT_TIMEOUT_MS: 1500, UPLOAD_MAX_BYTES: 200 * 1024 });
    tightBase = await listen(tight);
    expect((await tight.call('POST', '/v1/collections', { name: 'docs', textFields: ['title', 'body'], titleField: 'title' })).statusCode).toBe(201);
  });
  afterAll(async () => { await tight.close(); });

  it('stops an extraction that runs over the time limit with 422, serving other requests meanwhile', async () => {
    // 60 MB of operators and no text: reading it takes seconds, only the time limit stops it.
    const bomb = flateBombPdf(60, 'no-text');
    expect(bomb.length).toBeLessThan(200 * 1024);
    const order: string[] = [];
    const uploading = upload(`${tightBase}/v1/collections/docs/files`, multipartBody([file('slow.pdf', 'application/pdf', bomb)]), tight.adminKey)
      .then(async (res) => { order.push('upload'); return { status: res.status, body: await res.json() as { code: string; detail: string } }; });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const health = await fetch(`${tightBase}/health/live`);
    order.push('health');
    expect(health.status).toBe(200);
    const { status, body } = await uploading;
    expect(status).toBe(422);
    expect(body).toMatchObject({ code: 'DOCUMENT_UNREADABLE' });
    expect(body.detail).toContain('1500 ms');
    expect(order).toEqual(['health', 'upload']);
    // The terminated worker is replaced: the next upload is read normally.
    const next = await tight.call('POST', '/v1/collections/docs/files', multipartBody([file('ok.html', 'text/html', '<h1>Fine</h1><p>ok</p>')]), tight.adminKey, multipartHeaders());
    expect(next.statusCode).toBe(202);
  });

  it('lets one tenant hold at most 4 extraction places (then 429), while another tenant is still served', async () => {
    const store = tight.app.backends.store;
    const { tenant } = await store.tenants.ensure('neighbour');
    const neighbour = (await createApiKey(store, { tenantId: tenant.id, role: 'admin' })).key;
    expect((await tight.call('POST', '/v1/collections', { name: 'docs', textFields: ['title', 'body'], titleField: 'title' }, neighbour)).statusCode).toBe(201);
    const slow = multipartBody([file('slow.pdf', 'application/pdf', flateBombPdf(60, 'no-text'))]);
    // Each slow upload holds its place until the 1.5 s time limit ends it.
    const greedy = Promise.all(Array.from({ length: 5 }, () => upload(`${tightBase}/v1/collections/docs/files`, slow, tight.adminKey)
      .then(async (res) => ({ status: res.status, code: (await res.json() as { code: string }).code }))));
    await new Promise((resolve) => setTimeout(resolve, 300)); // the five hold or were refused their places by now
    const neighbourUpload = await upload(`${tightBase}/v1/collections/docs/files`, multipartBody([file('n.html', 'text/html', '<p>neighbour</p>')]), neighbour);
    expect(neighbourUpload.status).toBe(202);
    const results = await greedy;
    expect(results.filter((r) => r.status === 429)).toEqual([{ status: 429, code: 'RATE_LIMITED' }]);
    expect(results.filter((r) => r.status === 422)).toHaveLength(4);
  }, 90_000); // four worker start-ups and time-outs in turn on a busy machine

  it('answers 413 DOCUMENT_TEXT_TOO_LARGE for a file over UPLOAD_MAX_BYTES', async () => {
    const res = await tight.call('POST', '/v1/collections/docs/files', multipartBody([file('huge.txt', 'text/plain', 'y'.repeat(300 * 1024))]), tight.adminKey, multipartHeaders());
    await expectProblem(res, 413, 'DOCUMENT_TEXT_TOO_LARGE');
  });
});
