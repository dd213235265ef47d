/**
 * The analytics bench's HTTP client: node:http with a keep-alive agent (less client CPU per
 * request than fetch on a 2-core machine the server shares), a loader that sends a list of batch
 * requests in order from C connections, and a latency sampler for GET endpoints.
 */
import { Agent, request } from 'node:http';

export interface Answer { status: number; ms: number; body: string }

const agent = new Agent({ keepAlive: true, maxSockets: 64 });

export function call(base: string, method: 'GET' | 'POST', path: string, key: string, body?: string): Promise<Answer> {
  const url = new URL(path, base);
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = request({
      agent, host: url.hostname, port: url.port, path: `${url.pathname}${url.search}`, method,
      headers: { authorization: `Bearer ${key}`, ...(body !== undefined ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } : {}) },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - started, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    // A server that stops answering fails the run instead of hanging it.
    req.setTimeout(120_000, () => req.destroy(new Error(`${method} ${path}: no answer in 120 s`)));
    req.end(body);
  });
}

export const percentile = (sorted: readonly number[], p: number) => (sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!);

export interface Distribution { n: number; p50: number; p95: number; p99: number; max: number; mean: number }

export function distribution(times: number[]): Distribution {
  const sorted = [...times].sort((a, b) => a - b);
  return {
    n: sorted.length, p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1] ?? Number.NaN, mean: sorted.reduce((a, b) => a + b, 0) / Math.max(1, sorted.length),
  };
}

export interface LoadOutcome {
  seconds: number;
  /** Requests sent: all of them, or the first ones when the deadline stopped the load. */
  requests: number;
  events: number;
  rejected: number;
  firstRejection: string | null;
  latency: Distribution;
}

/**
 * Sends every request once, in order, from `connections` concurrent connections (each takes the
 * next request when its answer is in). A non-2xx answer stops the load; rejected items are counted.
 */
export async function sendAll(base: string, key: string, requests: ReadonlyArray<{ path: string; body: string; events: number }>, connections: number,
  onProgress?: (sent: number) => void, deadlineSeconds = Number.POSITIVE_INFINITY): Promise<LoadOutcome> {
  let next = 0;
  let events = 0;
  let rejected = 0;
  let firstRejection: string | null = null;
  const times: number[] = [];
  const started = performance.now();
  const deadline = started + deadlineSeconds * 1000;
  async function worker(): Promise<void> {
    for (let i = next++; i < requests.length && performance.now() < deadline; i = next++) {
      const r = requests[i]!;
      const answer = await call(base, 'POST', r.path, key, r.body);
      if (answer.status >= 300) throw new Error(`POST ${r.path}: ${answer.status} ${answer.body.slice(0, 500)}`);
      const summary = JSON.parse(answer.body) as { rejected?: number; results?: Array<{ status: string; error?: unknown }> };
      if (summary.rejected) {
        rejected += summary.rejected;
        firstRejection ??= JSON.stringify(summary.results?.find((x) => x.status === 'rejected'));
      }
      events += r.events;
      times.push(answer.ms);
      onProgress?.(events);
    }
  }
  await Promise.all(Array.from({ length: connections }, worker));
  return { seconds: (performance.now() - started) / 1000, requests: Math.min(next - connections, requests.length), events, rejected, firstRejection, latency: distribution(times) };
}

/**
 * `statuses` counts every answer's status; a 404 NOT_FOUND (a person the endpoint knows nothing
 * about, e.g. similar people for one with no behaviour yet) is an answer, not an error: `notFound`.
 */
export interface Sampled extends Distribution { statuses: Record<string, number>; notFound: number; firstError: string | null; seconds: number }

/**
 * GETs `path()` (a new path per request) from `concurrency` loops until `maxRequests` answers
 * or `maxSeconds` have passed; latencies of every answer, statuses counted.
 */
export async function sample(base: string, key: string, path: () => string, concurrency: number, maxRequests: number, maxSeconds: number): Promise<Sampled> {
  const times: number[] = [];
  const statuses: Record<string, number> = {};
  let firstError: string | null = null;
  let notFound = 0;
  let issued = 0;
  const started = performance.now();
  const deadline = started + maxSeconds * 1000;
  async function loop(): Promise<void> {
    while (issued < maxRequests && performance.now() < deadline) {
      issued += 1;
      const p = path();
      const answer = await call(base, 'GET', p, key);
      times.push(answer.ms);
      statuses[answer.status] = (statuses[answer.status] ?? 0) + 1;
      if (answer.status === 404 && answer.body.includes('"code":"NOT_FOUND"')) notFound += 1;
      else if (answer.status >= 300) firstError ??= `${answer.status} ${p}: ${answer.body.slice(0, 300)}`;
    }
  }
  await Promise.all(Array.from({ length: concurrency }, loop));
  return { ...distribution(times), statuses, notFound, firstError, seconds: (performance.now() - started) / 1000 };
}
