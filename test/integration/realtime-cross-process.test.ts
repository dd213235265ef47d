/**
 * Issue 4, item 4: an SSE client connected to one API process receives the events ingested
 * through another. Two `eventrag serve --role api` child processes share PostgreSQL (a fresh
 * schema) and NATS (the local server, with a subject prefix and stream of this run only).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/app.js';
import { deleteStream } from '../helpers/nats.js';
import { childEnv, killAll, provisionTenant, runCommand, startServer, type ServerProcess } from '../helpers/processes.js';
import { freshPgSchema, natsUrl, uniqueSuffix, type FreshPgSchema } from '../helpers/services.js';

const run = uniqueSuffix();
const stream = `RT_${run}`;
let schema: FreshPgSchema;
let a: ServerProcess;
let b: ServerProcess;
let adminKey: string;

beforeAll(async () => {
  schema = await freshPgSchema();
  const env = childEnv({
    DATABASE_URL: schema.connectionString, DATABASE_SCHEMA: schema.schema,
    NATS_URL: natsUrl(), NATS_STREAM: stream, NATS_SUBJECT_PREFIX: `rt${run}`,
  });
  await runCommand(['migrate'], env);
  adminKey = (await provisionTenant(schema.connectionString, schema.schema, 'acme', ['admin'])).admin!;
  [a, b] = await Promise.all([startServer('api-a', ['serve', '--role', 'api'], env), startServer('api-b', ['serve', '--role', 'api'], env)]);
}, 60_000);

afterAll(async () => {
  await killAll();
  await deleteStream(stream).catch(() => undefined);
  await schema?.drop();
});

/** Opens an SSE stream and collects the ids of the events it receives. */
async function subscribe(server: ServerProcess, signal: AbortSignal): Promise<string[]> {
  const res = await fetch(`${server.url}/v1/stream?types=rt.*`, { headers: { authorization: `Bearer ${adminKey}` }, signal });
  expect(res.status).toBe(200);
  const ids: string[] = [];
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  const first = await reader.read(); // ": connected": the client is registered with the hub
  expect(first.value).toContain('connected');
  void (async () => {
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true as const }));
      if (done) return;
      buffer += value;
      for (const match of buffer.matchAll(/^id: (\S+)$/gm)) ids.push(match[1]!);
      buffer = buffer.slice(buffer.lastIndexOf('\n') + 1);
    }
  })();
  return ids;
}

async function ingest(server: ServerProcess, n: number): Promise<string> {
  const res = await fetch(`${server.url}/v1/events`, {
    method: 'POST',
    headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ type: 'rt.ping', userId: `u${n % 4}`, data: { n } }),
  });
  expect(res.status).toBe(202);
  return ((await res.json()) as { id: string }).id;
}

describe('realtime across API processes (PostgreSQL + NATS)', () => {
  it('an SSE client on one process receives every event ingested through the other, once', { timeout: 30_000 }, async () => {
    const abort = new AbortController();
    try {
      const onA = await subscribe(a, abort.signal);
      const onB = await subscribe(b, abort.signal);
      // Through B only, then through both at once (relays in both processes, ids out of order).
      const viaB = await Promise.all(Array.from({ length: 10 }, (_, n) => ingest(b, n)));
      const mixed = await Promise.all(Array.from({ length: 20 }, (_, n) => ingest(n % 2 === 0 ? a : b, 100 + n)));
      const sent = [...viaB, ...mixed];
      await eventually(async () => sent.every((id) => onA.includes(id)), 15_000, 50);
      await eventually(async () => sent.every((id) => onB.includes(id)), 15_000, 50);
      await new Promise((resolve) => setTimeout(resolve, 300)); // room for a duplicate to show up
      expect(onA.length, 'each event once on A').toBe(sent.length);
      expect(onB.length, 'each event once on B').toBe(sent.length);
    } finally {
      abort.abort();
    }
  });
});
