/**
 * A streamed answer whose client goes away: the server stops generating (the provider's
 * response is abandoned early), writes nothing more, and keeps serving. Over real sockets, with
 * a slow OpenAI-compatible provider on 127.0.0.1.
 */
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestApp, type TestApp } from '../helpers/app.js';

const PIECES = 400;
let provider: Server;
const seen = { pieces: 0, closedEarly: false, requests: 0 };
let t: TestApp;

/** Streams PIECES deltas, one every 10 ms, until its client goes away. */
function slowProvider(): Server {
  return createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8').on('data', (chunk: string) => { raw += chunk; }).on('end', () => {
      seen.requests += 1;
      if (!(JSON.parse(raw || '{}') as { stream?: boolean }).stream) {
        return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ choices: [{ index: 0, message: { role: 'assistant', content: 'Thirty days [1].' } }] }));
      }
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      let n = 0;
      const timer = setInterval(() => {
        if (n === PIECES) { clearInterval(timer); res.end('data: [DONE]\n\n'); return; }
        n += 1;
        seen.pieces = n;
        res.write(`data: ${JSON.stringify({ choices: [{ delta: { content: `word${n} ` } }] })}\n\n`);
      }, 10);
      res.on('close', () => { clearInterval(timer); if (n < PIECES) seen.closedEarly = true; });
    });
  });
}

beforeAll(async () => {
  provider = slowProvider();
  await new Promise<void>((resolve) => provider.listen(0, '127.0.0.1', resolve));
  const { port } = provider.address() as AddressInfo;
  t = await startTestApp({ GENERATOR: 'openai', OPENAI_BASE_URL: `http://127.0.0.1:${port}/v1`, OPENAI_API_KEY: 'test', PROVIDER_TIMEOUT_MS: 30_000 });
  await t.call('POST', '/v1/collections', { name: 'kb', textFields: ['body'] });
  await t.call('PUT', '/v1/collections/kb/documents/d1?wait=true', { body: 'Employees get thirty days of paid leave.' });
  await t.app.http!.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(async () => {
  await t.close();
  await new Promise<void>((resolve) => provider.close(() => resolve()));
});

describe('streamed answers', () => {
  it('stop generating when the client disconnects, and the server stays up', async () => {
    const { port } = t.app.http!.server.address() as AddressInfo;
    const received = await new Promise<string>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, path: '/v1/answer', method: 'POST', headers: { authorization: `Bearer ${t.adminKey}`, 'content-type': 'application/json' } }, (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (chunk: string) => {
          text += chunk;
          if (text.includes('event: delta')) { req.destroy(); resolve(text); }
        });
        res.on('error', () => undefined);
      });
      req.on('error', (error) => { if (!req.destroyed) reject(error); });
      req.end(JSON.stringify({ query: 'paid leave', collections: ['kb'], stream: true }));
    });
    expect(received).toContain('event: sources');
    await eventually(async () => seen.closedEarly, 10_000);
    expect(seen.pieces).toBeLessThan(PIECES);
    expect((await t.call('GET', '/health/live', undefined, null)).statusCode).toBe(200);
    const again = await t.call('POST', '/v1/answer', { query: 'paid leave', collections: ['kb'] });
    expect(again.statusCode).toBe(200);
  });
});
