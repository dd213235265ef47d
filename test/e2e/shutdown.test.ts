/** A request that reaches a stopping server is answered 503 SHUTTING_DOWN as problem+json, with Retry-After. */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';

let t: TestApp;
let release: () => void = () => undefined;
let holding = false;
/** Holds the close in its preClose phase, as a slow in-flight request would, so the test can ask during it. */
async function holdClose(app: FastifyInstance): Promise<void> {
  app.addHook('preClose', async () => {
    holding = true;
    await new Promise<void>((resolve) => { release = resolve; });
  });
}

beforeAll(async () => { t = await startTestApp({}, { routes: [{ plugin: holdClose, options: {} }] }); });
afterAll(async () => { release(); await t.close(); });

it('answers SHUTTING_DOWN while the HTTP server closes', async () => {
  const http = t.app.http!;
  const address = await http.listen({ host: '127.0.0.1', port: 0 });
  const before = await fetch(`${address}/v1/events`, { headers: { authorization: `Bearer ${t.adminKey}` } });
  expect(before.status).toBe(200);
  const closing = http.close();
  while (!holding) await new Promise((resolve) => setImmediate(resolve));
  const res = await fetch(`${address}/v1/events`, { headers: { authorization: `Bearer ${t.adminKey}`, connection: 'close' } });
  release();
  await closing;
  expect(res.status).toBe(503);
  expect(res.headers.get('content-type')).toContain('application/problem+json');
  expect(await res.json()).toMatchObject({ code: 'SHUTTING_DOWN' });
  expect(res.headers.get('retry-after')).toBe('1');
});
