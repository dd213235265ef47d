import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withEmbeddingCache } from '../../src/adapters/embedder/cached.embedder.js';
import { createHashEmbedder, hashEmbed, DEFAULT_HASH_EMBEDDER_CONFIG } from '../../src/adapters/embedder/hash/hash.embedder.js';
import { createOpenAiEmbedder } from '../../src/adapters/embedder/openai/openai.embedder.js';
import { createProviderPolicy, withResilience } from '../../src/platform/resilience.js';

/** A local server speaking the OpenAI embeddings protocol; `plan` scripts failures. */
let server: Server;
let baseUrl: string;
const requests: { auth: string | undefined; input: string[] }[] = [];
let plan: number[] = [];

function embedding(text: string): number[] {
  return [text.length, 1, 0, text.charCodeAt(0) || 0];
}

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let raw = '';
    req.on('data', (chunk: Buffer) => (raw += chunk.toString()));
    req.on('end', () => {
      const body = JSON.parse(raw) as { input: string[]; model: string };
      requests.push({ auth: req.headers.authorization, input: body.input });
      const status = plan.shift() ?? (req.headers.authorization === 'Bearer good' ? 200 : 401);
      res.setHeader('content-type', 'application/json');
      if (status !== 200) {
        if (status === 429) res.setHeader('retry-after', '1');
        res.writeHead(status).end(JSON.stringify({ error: { message: `failure ${status}`, type: 'error' } }));
        return;
      }
      // Answer out of order, as the protocol allows: clients must use `index`.
      const data = body.input.map((text, index) => ({ object: 'embedding', index, embedding: embedding(text) })).reverse();
      res.writeHead(200).end(JSON.stringify({ object: 'list', data, model: body.model, usage: { prompt_tokens: 1, total_tokens: 1 } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('hash embedder', () => {
  it('is deterministic, unit length, configurable and similar for similar text', async () => {
    const embedder = createHashEmbedder();
    const [a, b, c, again] = await embedder.embed({ texts: ['noise cancelling headphones', 'headphones that cancel noise', 'cast iron skillet', 'noise cancelling headphones'], purpose: 'document' });
    expect(a).toHaveLength(384);
    expect(Math.hypot(...a!)).toBeCloseTo(1, 5);
    expect(again).toEqual(a);
    const dot = (x: Float32Array, y: Float32Array) => x.reduce((sum, v, i) => sum + v * y[i]!, 0);
    expect(dot(a!, b!)).toBeGreaterThan(dot(a!, c!) + 0.2);
    expect(hashEmbed('x', { ...DEFAULT_HASH_EMBEDDER_CONFIG, dimension: 64 })).toHaveLength(64);
    expect(createHashEmbedder({ dimension: 64 }).model).not.toBe(embedder.model);
  });
});

describe('openai embedder against a local server', () => {
  it('batches, keeps input order and normalises', async () => {
    requests.length = 0;
    const embedder = createOpenAiEmbedder({ baseUrl, apiKey: 'good', model: 'm', batchSize: 2 });
    await embedder.init();
    expect(embedder.dimension).toBe(4);
    const vectors = await embedder.embed({ texts: ['a', 'bb', 'ccc'], purpose: 'document' });
    expect(requests.map((r) => r.input)).toEqual([['dimension probe'], ['a', 'bb'], ['ccc']]);
    expect(vectors.map((v) => Math.hypot(...v))).toEqual([expect.closeTo(1, 5), expect.closeTo(1, 5), expect.closeTo(1, 5)]);
    expect(vectors[2]![0]! / vectors[2]![1]!).toBeCloseTo(3, 5);
  });

  it('maps 401 (not retryable), 429 and 500 (retryable) to PROVIDER_UNAVAILABLE', async () => {
    const bad = createOpenAiEmbedder({ baseUrl, apiKey: 'bad', model: 'm', dimension: 4 });
    await expect(bad.embed({ texts: ['x'], purpose: 'query' })).rejects.toMatchObject({
      code: 'PROVIDER_UNAVAILABLE',
      category: 'third_party',
      details: { providerStatus: 401, retryable: false },
    });
    const good = createOpenAiEmbedder({ baseUrl, apiKey: 'good', model: 'm', dimension: 4 });
    plan = [429];
    await expect(good.embed({ texts: ['x'], purpose: 'query' })).rejects.toMatchObject({ details: { providerStatus: 429, retryable: true, retryAfterMs: 1000 } });
    plan = [500];
    await expect(good.embed({ texts: ['x'], purpose: 'query' })).rejects.toMatchObject({ details: { providerStatus: 500, retryable: true } });
    await expect(createOpenAiEmbedder({ baseUrl: 'http://127.0.0.1:1/v1', model: 'm', dimension: 4 }).embed({ texts: ['x'], purpose: 'query' })).rejects.toMatchObject({
      code: 'PROVIDER_UNAVAILABLE',
      details: { retryable: true },
    });
  });

  it('retries retryable failures under the policy, never 401, and opens the breaker', async () => {
    const policy = createProviderPolicy({ maxAttempts: 3, initialBackoffMs: 1, maxBackoffMs: 2, breakerThreshold: 2, halfOpenAfterMs: 60_000 });
    const good = withResilience(createOpenAiEmbedder({ baseUrl, apiKey: 'good', model: 'm', dimension: 4 }), policy);
    requests.length = 0;
    plan = [500, 429];
    expect(await good.embed({ texts: ['x'], purpose: 'query' })).toHaveLength(1);
    expect(requests).toHaveLength(3);
    requests.length = 0;
    const bad = withResilience(createOpenAiEmbedder({ baseUrl, apiKey: 'bad', model: 'm', dimension: 4 }), createProviderPolicy({ initialBackoffMs: 1 }));
    await expect(bad.embed({ texts: ['x'], purpose: 'query' })).rejects.toMatchObject({ details: { providerStatus: 401 } });
    expect(requests).toHaveLength(1);
    plan = [500, 500, 500, 500, 500, 500];
    await expect(good.embed({ texts: ['x'], purpose: 'query' })).rejects.toMatchObject({ details: { providerStatus: 500 } });
    await expect(good.embed({ texts: ['x'], purpose: 'query' })).rejects.toMatchObject({ details: { providerStatus: 500 } });
    requests.length = 0;
    await expect(good.embed({ texts: ['x'], purpose: 'query' })).rejects.toMatchObject({ code: 'PROVIDER_UNAVAILABLE', details: { circuit: 'open' } });
    expect(requests).toHaveLength(0);
    plan = [];
  });

  it('times out slow calls', async () => {
    const slow = {
      ...createHashEmbedder({ dimension: 8 }),
      embed: ({ signal }: { signal?: AbortSignal }) =>
        new Promise<Float32Array[]>((resolve, reject) => {
          const timer = setTimeout(() => resolve([]), 5_000);
          signal?.addEventListener('abort', () => (clearTimeout(timer), reject(signal.reason)));
        }),
    };
    const wrapped = withResilience(slow, createProviderPolicy({ timeoutMs: 30, maxAttempts: 1 }));
    await expect(wrapped.embed({ texts: ['x'], purpose: 'query' })).rejects.toMatchObject({ code: 'PROVIDER_UNAVAILABLE', message: expect.stringContaining('timed out') });
  });
});

describe('embedding cache', () => {
  it('sends only misses, deduplicated, keyed by model, purpose and text', async () => {
    const seen: string[][] = [];
    const inner = createHashEmbedder({ dimension: 16 });
    const cached = withEmbeddingCache({ ...inner, embed: async (params) => (seen.push(params.texts), inner.embed(params)) }, { max: 100 });
    const first = await cached.embed({ texts: ['a', 'b', 'a'], purpose: 'document' });
    const second = await cached.embed({ texts: ['b', 'c'], purpose: 'document' });
    await cached.embed({ texts: ['a'], purpose: 'query' });
    expect(seen).toEqual([['a', 'b'], ['c'], ['a']]);
    expect(second[0]).toEqual(first[1]);
    expect(first[2]).toEqual(first[0]);
    expect(cached.cacheSize).toBe(4);
  });
});
