/**
 * Requests that fail before a route runs still answer problem+json with a stable code: headers
 * or request lines too large, malformed URLs and request lines, path parameters over the limit,
 * OPTIONS without CORS headers. Regression tests for the hardening of the HTTP edges (issue 7,
 * defect 12): raw sockets against a listening server, since Node's parser answers some of these.
 */
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { errorCodes, type FastifyError } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { toAppError } from '../../src/http/errors.plugin.js';
import { startTestApp, type TestApp } from '../helpers/app.js';

interface RawAnswer { status: number; headers: Record<string, string>; body: string }

let t: TestApp;
let port: number;

/** Sends raw bytes and reads the whole answer until the server closes or the answer is complete. */
function raw(request: string): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(request));
    let data = '';
    const finish = () => {
      const [head = '', ...rest] = data.split('\r\n\r\n');
      const [statusLine = '', ...lines] = head.split('\r\n');
      const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body: rest.join('\r\n\r\n') });
    };
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      data += chunk;
      const length = /content-length: (\d+)/i.exec(data)?.[1];
      const bodyStart = data.indexOf('\r\n\r\n');
      if (length !== undefined && bodyStart >= 0 && Buffer.byteLength(data.slice(bodyStart + 4)) >= Number(length)) { socket.destroy(); finish(); }
    });
    socket.on('close', () => { if (data) finish(); else reject(new Error('closed without an answer')); });
    socket.on('error', () => undefined);
  });
}

function expectProblem(answer: RawAnswer, status: number, code: string): void {
  expect(answer.status).toBe(status);
  expect(answer.headers['content-type']).toContain('application/problem+json');
  expect(JSON.parse(answer.body)).toMatchObject({ status, code });
}

beforeAll(async () => {
  t = await startTestApp();
  await t.app.http!.listen({ host: '127.0.0.1', port: 0 });
  port = (t.app.http!.server.address() as { port: number }).port;
});
afterAll(async () => { await t.close(); });

describe('what Node\'s HTTP parser rejects', () => {
  it('answers 431 HEADERS_TOO_LARGE for headers over 16 KiB', async () => {
    const answer = await raw(`GET /v1/events HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    expectProblem(answer, 431, 'HEADERS_TOO_LARGE');
  });

  it('answers 414 URI_TOO_LONG for a request line over 16 KiB', async () => {
    expectProblem(await raw(`GET /v1/events?q=${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`), 414, 'URI_TOO_LONG');
  });

  it('answers 400 for characters HTTP does not allow in a URL, and for what is not HTTP', async () => {
    expectProblem(await raw('GET /v1/\x01events HTTP/1.1\r\nHost: x\r\n\r\n'), 400, 'URL_INVALID');
    expectProblem(await raw('BREW /pot HTCPCP/1.0\r\n\r\n'), 400, 'VALIDATION_FAILED');
  });

  it('answers 408 REQUEST_TIMEOUT when Node gives up waiting for a request', async () => {
    const server = t.app.http!.server;
    const accepted = new Promise<Socket>((resolve) => server.once('connection', resolve));
    const client = connect(port, '127.0.0.1');
    client.setEncoding('latin1');
    let data = '';
    client.on('data', (chunk: string) => { data += chunk; });
    const closed = new Promise((resolve) => client.on('close', resolve));
    client.write('POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"slow":'); // never finishes
    const serverSide = await accepted;
    // What Node's connection checker emits when requestTimeout runs out.
    server.emit('clientError', Object.assign(new Error('Request timeout'), { code: 'ERR_HTTP_REQUEST_TIMEOUT' }), serverSide);
    await closed;
    const [head = '', body = ''] = data.split('\r\n\r\n');
    expect(head).toMatch(/^HTTP\/1\.1 408 /);
    expect(head.toLowerCase()).toContain('content-type: application/problem+json');
    expect(JSON.parse(body)).toMatchObject({ status: 408, code: 'REQUEST_TIMEOUT' });
  });

  it('keeps serving after all of them', async () => {
    expect((await fetch(`http://127.0.0.1:${port}/health/live`)).status).toBe(200);
  });
});

describe('what Fastify\'s router rejects', () => {
  it('answers 400 URL_INVALID for malformed percent-encoding', async () => {
    const answer = await raw(`GET /v1/events/%E0%A4%A HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${t.adminKey}\r\n\r\n`);
    expectProblem(answer, 400, 'URL_INVALID');
  });

  it('reads back a document whose id has 256 characters, and answers 414 URI_TOO_LONG past that', async () => {
    expect((await t.call('POST', '/v1/collections', { name: 'notes', textFields: ['body'] })).statusCode).toBe(201);
    const id = 'd'.repeat(256);
    expect((await t.call('PUT', `/v1/collections/notes/documents/${id}?wait=true`, { body: 'a note' })).statusCode).toBe(200);
    const read = await t.call('GET', `/v1/collections/notes/documents/${id}`);
    expect(read.statusCode).toBe(200);
    expect(read.json().id ?? read.json().documentId).toBe(id);
    const tooLong = await t.call('GET', `/v1/collections/notes/documents/${id}x`);
    expect(tooLong.statusCode).toBe(414);
    expect(tooLong.headers['content-type']).toContain('application/problem+json');
    expect(tooLong.json().code).toBe('URI_TOO_LONG');
  });

  it('answers OPTIONS without CORS headers with 204, and a real preflight with its CORS headers', async () => {
    const bare = await t.call('OPTIONS', '/v1/events', undefined, null);
    expect(bare.statusCode).toBe(204);
    const preflight = await t.call('OPTIONS', '/v1/events', undefined, null, { origin: 'https://app.test', 'access-control-request-method': 'POST' });
    expect(preflight.statusCode).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe('https://app.test');
  });

  it('keeps only visible ASCII of a client\'s x-request-id', async () => {
    const answer = await t.call('GET', '/health/live', undefined, null, { 'x-request-id': 'abc \tdef\u00e9' });
    expect(answer.headers['x-request-id']).toBe('abcdef');
  });

  it('never puts the query string (it may hold a credential) in a problem\'s instance', async () => {
    const answer = await t.call('GET', `/v1/nope?access_token=${t.adminKey}`, undefined, null);
    expect(answer.statusCode).toBe(404);
    expect(answer.body).not.toContain(t.adminKey);
    expect(answer.json().instance).toBe('/v1/nope');
  });
});

describe('public routes that do work', () => {
  it('run one readiness check for many concurrent callers', async () => {
    const checks = vi.spyOn(t.app.backends.store, 'ready');
    const answers = await Promise.all(Array.from({ length: 20 }, () => t.call('GET', '/health/ready', undefined, null)));
    expect(answers.every((a) => a.statusCode === 200)).toBe(true);
    expect(checks.mock.calls.length).toBeGreaterThan(0);
    expect(checks.mock.calls.length).toBeLessThanOrEqual(2);
    checks.mockRestore();
  });
});

describe('Fastify error codes', () => {
  it('maps every client error Fastify can raise to a documented code with the same status', () => {
    const documented = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
    type Make = new (...args: string[]) => FastifyError;
    const clientErrors = Object.entries(errorCodes as unknown as Record<string, Make>)
      .map(([name, make]) => [name, new make('x', 'y', 'z')] as const)
      .filter(([, error]) => error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500);
    expect(clientErrors.map(([name]) => name)).toContain('FST_ERR_BAD_URL');
    for (const [name, error] of clientErrors) {
      const mapped = toAppError(error);
      expect({ name, status: mapped.status }).toEqual({ name, status: error.statusCode });
      expect(mapped.code, name).not.toBe('INTERNAL');
      expect(documented, `${name} → ${mapped.code}`).toContain(`| \`${mapped.code}\` |`);
    }
  });
});
