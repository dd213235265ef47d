/**
 * Malformed and oversized multipart uploads answer 4xx problem+json with a stable code, never a
 * 500: no boundary, a body cut short, a file part without a filename, over-long ids and names,
 * too many files. Raw bodies, over a real socket where the transport matters.
 */
import { Agent, request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { BOUNDARY, file, multipartBody, multipartHeaders, type Part } from '../helpers/uploads.js';

let t: TestApp;
let port: number;

beforeAll(async () => {
  t = await startTestApp();
  await t.app.http!.listen({ host: '127.0.0.1', port: 0 });
  const address = t.app.http!.server.address();
  if (!address || typeof address === 'string') throw new Error('no address');
  port = address.port;
  expect((await t.call('POST', '/v1/collections', { name: 'kb', textFields: ['title', 'body'], titleField: 'title' })).statusCode).toBe(201);
});
afterAll(async () => { await t.close(); });

const post = (body: Buffer | string, headers: Record<string, string> = multipartHeaders()) => t.call('POST', '/v1/collections/kb/files?wait=true', body, t.adminKey, headers);

function expectProblem(res: Awaited<ReturnType<typeof post>>, status: number, code: string): { detail: string } {
  expect(res.statusCode).toBe(status);
  expect(res.headers['content-type']).toContain('application/problem+json');
  const body = res.json();
  expect(body).toMatchObject({ code, status });
  return body;
}

/** Sends a raw request over a socket and returns status, headers and body once the server answers. */
function rawPost(headers: Record<string, string | number>, body: Buffer, agent?: Agent): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method: 'POST', path: '/v1/collections/kb/files', agent, headers: { authorization: `Bearer ${t.adminKey}`, ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('malformed multipart bodies', () => {
  it('answers 400 when the content type has no boundary', async () => {
    const res = await post(multipartBody([file('a.txt', 'text/plain', 'hi')]), { 'content-type': 'multipart/form-data' });
    expect(expectProblem(res, 400, 'VALIDATION_FAILED').detail).toMatch(/boundary/i);
  });

  it('answers 400 when the boundary is longer than multipart allows', async () => {
    const boundary = 'b'.repeat(300);
    expectProblem(await post(multipartBody([file('a.txt', 'text/plain', 'hi')], boundary), multipartHeaders(boundary)), 400, 'VALIDATION_FAILED');
  });

  it('answers 400 for a body cut in the middle of a part (over a real socket), and stores nothing', async () => {
    const whole = multipartBody([file('cut.txt', 'text/plain', 'x'.repeat(10_000))]);
    const cut = whole.subarray(0, 5_000);
    const res = await rawPost({ ...multipartHeaders(), 'content-length': cut.length }, cut);
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body)).toMatchObject({ code: 'VALIDATION_FAILED', detail: expect.stringContaining('malformed') });
    expect((await t.call('GET', '/v1/collections/kb/documents/cut')).statusCode).toBe(404);
  });

  it('closes the connection after refusing an upload it did not read, so a kept-alive socket is never wedged', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      // Refused at its first part (415), with 4 MB of body the server never reads.
      const refused = await rawPost(multipartHeaders(), multipartBody([file('blob.bin', 'application/octet-stream', Buffer.alloc(4 * 1024 * 1024, 1))]), agent);
      expect(refused.status).toBe(415);
      expect(refused.headers.connection).toBe('close');
      const next = await rawPost(multipartHeaders(), multipartBody([file('after.txt', 'text/plain', 'served next')]), agent);
      expect(next.status).toBe(202);
    } finally {
      agent.destroy();
    }
  });

  it('answers 400 for a body cut between two parts, storing neither', async () => {
    const whole = multipartBody([file('first.txt', 'text/plain', 'complete part'), file('second.txt', 'text/plain', 'never arrives')]);
    // Cut just after the delimiter that ends the first part: the parser stops quietly there.
    const cut = whole.subarray(0, whole.indexOf(`--${BOUNDARY}`, whole.indexOf('complete part')) + BOUNDARY.length + 2);
    const res = await rawPost({ ...multipartHeaders(), 'content-length': cut.length }, cut);
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body)).toMatchObject({ code: 'VALIDATION_FAILED', detail: expect.stringContaining('closing boundary') });
    expect((await t.call('GET', '/v1/collections/kb/documents/first')).statusCode).toBe(404);
    const unclosed = multipartBody([file('open.txt', 'text/plain', 'no closing delimiter')], undefined, false);
    expectProblem(await post(unclosed), 400, 'VALIDATION_FAILED');
  });

  it('accepts a quoted boundary and an epilogue after the closing delimiter', async () => {
    const boundary = 'with space';
    const body = Buffer.concat([multipartBody([file('quoted.txt', 'text/plain', 'quoted boundary')], boundary), Buffer.from('epilogue, ignored')]);
    const res = await post(body, { 'content-type': `multipart/form-data; boundary="${boundary}"` });
    expect(res.statusCode).toBe(202);
  });

  it('answers 400 for a file part without a filename', async () => {
    const noName: Part = { name: 'file', type: 'application/octet-stream', content: 'bytes' };
    expect(expectProblem(await post(multipartBody([noName])), 400, 'VALIDATION_FAILED').detail).toContain('filename');
    const emptyName: Part = { name: 'file', filename: '', type: 'text/plain', content: 'bytes' };
    expectProblem(await post(multipartBody([emptyName])), 400, 'VALIDATION_FAILED');
  });

  it('answers 400 when no part is a file, and 415 when the body is not multipart', async () => {
    expectProblem(await post(multipartBody([{ name: 'note', content: 'only a field' }])), 400, 'VALIDATION_FAILED');
    expectProblem(await post(JSON.stringify({ file: 'x' }), { 'content-type': 'application/json' }), 415, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('answers 413 for more than 20 files in one request', async () => {
    const files = Array.from({ length: 21 }, (_, i) => file(`f${i}.txt`, 'text/plain', `file ${i}`));
    expectProblem(await post(multipartBody(files)), 413, 'PAYLOAD_TOO_LARGE');
    expect((await t.call('GET', '/v1/collections/kb/documents/f0')).statusCode).toBe(404);
  });
});

describe('document ids and file names', () => {
  it('accepts an id of 256 characters and rejects 257 (the document id limit), and a 2,000-character id', async () => {
    const ok = await post(multipartBody([{ name: 'id', content: 'i'.repeat(256) }, file('a.txt', 'text/plain', 'id at the limit')]));
    expect(ok.statusCode).toBe(202);
    expect(ok.json().items[0].documentId).toBe('i'.repeat(256));
    for (const length of [257, 500, 2000]) {
      const res = await post(multipartBody([{ name: 'id', content: 'i'.repeat(length) }, file('a.txt', 'text/plain', 'too long')]));
      expect(expectProblem(res, 400, 'VALIDATION_FAILED').detail).toContain('256');
    }
  });

  it('rejects file names over 255 characters or with control characters', async () => {
    expectProblem(await post(multipartBody([file(`${'n'.repeat(300)}.txt`, 'text/plain', 'x')])), 400, 'VALIDATION_FAILED');
    expectProblem(await post(multipartBody([file('bell\u0007.txt', 'text/plain', 'x')])), 400, 'VALIDATION_FAILED');
  });

  it('still uploads several ordinary files, each with its own id', async () => {
    const res = await post(multipartBody([
      { name: 'id', content: 'guide' }, file('Guide.md', 'text/markdown', '# The guide\n\nRead me first.'),
      file('Notes 2024.txt', 'text/plain', 'Plain notes.'),
    ]));
    expect(res.statusCode).toBe(202);
    expect(res.json().items.map((i: { documentId: string }) => i.documentId)).toEqual(['guide', 'notes-2024']);
    expect((await t.call('GET', '/v1/collections/kb/documents/guide')).json().fields.title).toBe('The guide');
  });
});
