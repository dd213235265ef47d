/**
 * Search over HTTP and freshness (issue 3 goals), in one run on this machine:
 *  - SciFact's 5,183 abstracts written through POST /v1/collections/:name/documents (the event log
 *    and the indexer), then 1,109 distinct SciFact queries (test + train, so none is a cache hit)
 *    sent one at a time to POST /v1/search in hybrid mode: p50/p95/p99 latency; then 4 connections.
 *  - Freshness: article.created events sent one at a time; for each, the time from the 202 until
 *    a search finds the article.
 * The server runs as a child process (bin/eventrag serve, embedded shape).
 *
 *   node --import tsx bench/search/http.ts [--fresh 200] [--no-write]
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { startEventrag, type EventragServer } from '../ingest/servers.js';
import { writeSection } from './section.js';

const { values } = parseArgs({ options: { fresh: { type: 'string', default: '200' }, dataset: { type: 'string', default: '../shared/datasets/scifact' }, 'no-write': { type: 'boolean' } } });
const dir = mkdtempSync(join(tmpdir(), 'eventrag-bench-search-'));
const readJsonl = <T>(file: string) => readFileSync(file, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as T);
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

async function api(server: EventragServer, method: string, path: string, body?: unknown) {
  const res = await fetch(`${server.url}${path}`, {
    method, headers: { authorization: `Bearer ${server.adminKey}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return res.json() as Promise<any>;
}

async function indexCorpus(server: EventragServer): Promise<{ docs: number; seconds: number }> {
  await api(server, 'POST', '/v1/collections', { name: 'scifact', textFields: ['title', 'text'], titleField: 'title', language: 'en', chunking: { size: 4000, overlap: 200, markdown: false } });
  const corpus = readJsonl<{ _id: string; title: string; text: string }>(join(values.dataset, 'corpus.jsonl'));
  const started = performance.now();
  for (let i = 0; i < corpus.length; i += 500) {
    await api(server, 'POST', '/v1/collections/scifact/documents', { documents: corpus.slice(i, i + 500).map((d) => ({ id: d._id, fields: { title: d.title, text: d.text } })) });
  }
  for (;;) {
    const indexer = (await api(server, 'GET', '/v1/consumers')).items.find((c: { name: string }) => c.name === 'indexer');
    const { stats } = await api(server, 'GET', '/v1/collections/scifact');
    if (indexer.lagEvents === 0 && stats.documents >= corpus.length) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { docs: corpus.length, seconds: (performance.now() - started) / 1000 };
}

async function searchLatency(server: EventragServer, queries: string[], connections: number) {
  let next = 0;
  const result = await autocannon({
    url: `${server.url}/v1/search`, connections, amount: queries.length,
    requests: [{
      method: 'POST',
      setupRequest: (request) => ({
        ...request,
        headers: { authorization: `Bearer ${server.adminKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ query: queries[next++ % queries.length], collections: ['scifact'], limit: 10, mode: 'hybrid' }),
      }),
    }],
  });
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`search: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return { requests: result['2xx'], rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99 };
}

/** One-at-a-time latencies measured here (autocannon's histogram has no p95). */
async function searchOneByOne(server: EventragServer, queries: string[]) {
  const times: number[] = [];
  for (const query of queries) {
    const started = performance.now();
    await api(server, 'POST', '/v1/search', { query, collections: ['scifact'], limit: 10, mode: 'hybrid' });
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return { n: times.length, p50: percentile(times, 50), p95: percentile(times, 95), p99: percentile(times, 99) };
}

async function freshness(server: EventragServer, count: number) {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const token = `freshness${i}x${Date.now().toString(36)}`;
    const res = await fetch(`${server.url}/v1/events`, {
      method: 'POST', headers: { authorization: `Bearer ${server.ingestKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'article.created', data: { articleId: `fresh-${i}`, name: `Article ${token}`, description: 'A brand new article' } }),
    });
    const accepted = performance.now();
    if (res.status !== 202) throw new Error(`ingest ${res.status}`);
    for (;;) {
      const hits = await api(server, 'POST', '/v1/search', { query: token, collections: ['articles'], limit: 1, mode: 'lexical' }).catch(() => ({ items: [] }));
      if (hits.items[0]?.documentId === `fresh-${i}`) break;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    times.push(performance.now() - accepted);
  }
  times.sort((a, b) => a - b);
  return { n: times.length, p50: percentile(times, 50), p95: percentile(times, 95), max: times.at(-1)! };
}

const server = await startEventrag(join(dir, 'data'));
try {
  const indexed = await indexCorpus(server);
  console.log(`indexed ${indexed.docs} documents through the API in ${indexed.seconds.toFixed(1)} s (${Math.round(indexed.docs / indexed.seconds)} docs/s)`);
  const queries = [...new Set([...readJsonl<{ text: string }>(join(values.dataset, 'queries.jsonl')).map((q) => q.text)])].slice(0, 1109);
  const warm = await searchOneByOne(server, queries.slice(0, 50).map((q) => `${q} warmup`));
  const serial = await searchOneByOne(server, queries);
  console.log(`hybrid search over HTTP, one at a time (${serial.n} distinct queries, warm-up ${warm.n}): p50 ${serial.p50.toFixed(2)} ms, p95 ${serial.p95.toFixed(2)} ms, p99 ${serial.p99.toFixed(2)} ms`);
  const parallel = await searchLatency(server, queries.map((q) => `${q} again`), 4);
  console.log(`hybrid search over HTTP, 4 connections: ${Math.round(parallel.rps)} req/s, p50 ${parallel.p50} ms, p99 ${parallel.p99} ms`);
  const fresh = await freshness(server, Number(values.fresh));
  console.log(`freshness (202 of article.created → searchable), ${fresh.n} articles: p50 ${fresh.p50.toFixed(1)} ms, p95 ${fresh.p95.toFixed(1)} ms, max ${fresh.max.toFixed(1)} ms`);
  if (!values['no-write']) writeSection({ indexed, serial, parallel, fresh });
} finally {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}
