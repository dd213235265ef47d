/**
 * A database outage answers 503 STORE_UNAVAILABLE with Retry-After (never 500 INTERNAL), and the
 * server recovers by itself when the database returns. PostgreSQL is reached through a TCP proxy
 * on 127.0.0.1 that the test cuts and restores; the real server is never touched.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestApp, type TestApp } from '../helpers/app.js';
import { freshPgSchema, postgresUrl, type FreshPgSchema } from '../helpers/services.js';

/** A TCP proxy to PostgreSQL that can drop every connection and refuse new ones. */
class CuttableProxy {
  #server: Server | null = null;
  readonly #sockets = new Set<Socket>();
  constructor(private readonly target: { host: string; port: number }) {}

  async open(port = 0): Promise<number> {
    if (this.#server) return (this.#server.address() as { port: number }).port;
    const server = createServer((client) => {
      const upstream = connect(this.target.port, this.target.host);
      for (const socket of [client, upstream]) {
        this.#sockets.add(socket);
        socket.on('close', () => this.#sockets.delete(socket));
        socket.on('error', () => { client.destroy(); upstream.destroy(); });
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    this.#server = server;
    return (server.address() as { port: number }).port;
  }

  async cut(): Promise<void> {
    const server = this.#server;
    this.#server = null;
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }
}

let schema: FreshPgSchema;
let proxy: CuttableProxy;
let port: number;
let t: TestApp;

beforeAll(async () => {
  schema = await freshPgSchema();
  const target = new URL(postgresUrl());
  proxy = new CuttableProxy({ host: target.hostname, port: Number(target.port || 5432) });
  port = await proxy.open();
  target.host = `127.0.0.1:${port}`;
  t = await startTestApp({ DATABASE_URL: target.toString(), DATABASE_SCHEMA: schema.schema, RATE_LIMIT_PER_MINUTE: 1_000_000 });
}, 60_000);

afterAll(async () => {
  await t?.close();
  await proxy?.cut();
  await schema?.drop();
});

const event = (n: number) => ({ type: 'outage.probe', userId: 'u1', data: { n } });

describe('PostgreSQL outage', () => {
  it('answers 503 STORE_UNAVAILABLE with Retry-After while the database is away, then accepts again', { timeout: 60_000 }, async () => {
    expect((await t.call('POST', '/v1/events', event(1), t.ingestKey)).statusCode).toBe(202);

    await proxy.cut();
    const during = await t.call('POST', '/v1/events', event(2), t.ingestKey);
    expect(during.statusCode, during.body).toBe(503);
    expect(during.headers['content-type']).toContain('application/problem+json');
    expect(during.json()).toMatchObject({ code: 'STORE_UNAVAILABLE', status: 503 });
    expect(Number(during.headers['retry-after'])).toBeGreaterThan(0);
    const read = await t.call('GET', '/v1/events?limit=5');
    expect(read.statusCode, read.body).toBe(503);
    expect(read.json().code).toBe('STORE_UNAVAILABLE');

    await proxy.open(port);
    const after = await eventually(async () => {
      const res = await t.call('POST', '/v1/events', event(3), t.ingestKey);
      return res.statusCode === 202 ? res : null;
    }, 20_000, 200);
    expect(after.json().id).toBeTruthy();
    const list = (await t.call('GET', '/v1/events?type=outage.probe&limit=10')).json() as { items: Array<{ data: { n: number } }> };
    expect(list.items.map((e) => e.data.n).sort()).toEqual([1, 3]);
  });
});
