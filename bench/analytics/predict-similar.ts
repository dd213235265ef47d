/**
 * Latency of the prediction and similar-people routes on a generated tenant, and the cost of
 * their two projections. Starts the real app on a fresh SQLite data directory (embedded index,
 * hash embedder) without its workers, feeds the synthetic log (src/analytics/predict/synthetic-log.ts,
 * with query and message texts added) through the app's own `analytics-predict` and
 * `analytics-similar` consumers in batches of 512 in log order (one stream: fewer events per
 * person per batch than a partition of the runner gets), then asks both routes over HTTP
 * (Fastify inject, admin key: auth, validation, serialisation included) for random persons.
 *
 *   node --import tsx bench/analytics/predict-similar.ts [--events 1000000] [--samples 500] [--seed 1]
 * Prints a Markdown section for BENCHMARKS.md.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Kysely } from 'kysely';
import { generateSyntheticLog } from '../../src/analytics/predict/synthetic-log.js';
import { loadConfig } from '../../src/config.js';
import { createApp } from '../../src/main.js';
import { createLogger } from '../../src/platform/logger.js';
import { seededRandom } from '../../src/platform/random.js';
import type { LogEntry } from '../../src/ports/events.types.js';

const { values } = parseArgs({ options: { events: { type: 'string', default: '1000000' }, samples: { type: 'string', default: '500' }, seed: { type: 'string', default: '1' } } });
const EVENTS = Number(values.events);
const SAMPLES = Number(values.samples);
const SEED = Number(values.seed);
const BATCH = 512;
const WORDS = 'heat pump solar panel roof invoice refund shipping delay battery charger warranty login password export report chart tax deadline contract renewal discount'.split(' ');

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
const ms = (n: number) => `${n.toFixed(2)} ms`;

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'eventrag-bench-ps-'));
  const config = loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'silent' }, {});
  const app = await createApp(config, { logger: createLogger('silent') });
  try {
    await app.http!.ready();
    const tenantId = (await app.backends.store.tenants.bySlug('demo'))!.id;
    const db = (app.backends.store as unknown as { db: Kysely<any> }).db;
    const random = seededRandom(SEED);
    const log = generateSyntheticLog({ events: EVENTS, seed: SEED, startTime: Date.now() - 30 * 86_400_000 });
    const entries: LogEntry[] = log.map((e, i) => {
      const words = Array.from({ length: 4 }, () => WORDS[Math.floor(random() * WORDS.length)]).join(' ');
      const data = e.type === 'query.executed' ? { query: words } : e.type === 'message.sent' ? { channel: 'chat', text: words } : {};
      return {
        id: `${String(i).padStart(12, '0')}`, tenantId, type: e.type, source: '/bench', subject: null, userId: e.personId, sessionId: e.sessionId ?? null,
        category: e.type.split('.')[0]!, sourceApp: null, time: e.time, receivedAt: e.time, idempotencyKey: null, senderRole: 'ingest', data, seq: i + 1,
      };
    });
    const persons = [...new Set(log.map((e) => e.personId))];
    const lines: string[] = [];
    const context = { attempt: 1, logger: app.logger, signal: new AbortController().signal };
    for (const name of ['analytics-predict', 'analytics-similar']) {
      const consumer = app.registry.get(name)!;
      const started = performance.now();
      for (let i = 0; i < entries.length; i += BATCH) {
        const batch = entries.slice(i, i + BATCH);
        await db.transaction().execute((trx) => consumer.handleBatch!(batch, { db: trx, dialect: 'sqlite' }, context));
      }
      const seconds = (performance.now() - started) / 1000;
      lines.push(`| \`${name}\`: ${entries.length.toLocaleString('en')} events in batches of ${BATCH} | ${seconds.toFixed(1)} s (${Math.round(entries.length / seconds).toLocaleString('en')} events/s) |`);
    }
    const latency = async (path: (userId: string) => string) => {
      const times: number[] = [];
      let failures = 0;
      for (let i = 0; i < SAMPLES + 20; i += 1) {
        const userId = persons[Math.floor(random() * persons.length)]!;
        const started = performance.now();
        const res = await app.http!.inject({ method: 'GET', url: path(userId), headers: { authorization: `Bearer ${app.demo!.adminKey}` } });
        const elapsed = performance.now() - started;
        if (res.statusCode !== 200) failures += 1;
        if (i >= 20) times.push(elapsed); // the first 20 warm up
      }
      times.sort((a, b) => a - b);
      return { p50: quantile(times, 0.5), p95: quantile(times, 0.95), p99: quantile(times, 0.99), max: times[times.length - 1]!, failures };
    };
    const predict = await latency((u) => `/v1/analytics/users/${u}/predict?k=3`);
    const similar = await latency((u) => `/v1/analytics/users/${u}/similar?limit=10`);
    // The similar route's parts alone: the index's nearest-neighbour search and the rows read.
    const { sqlSimilarStore } = await import('../../src/analytics/similar/similar.sql.js');
    const similarStore = sqlSimilarStore(db);
    const part = async (work: (userId: string) => Promise<unknown>) => {
      const times: number[] = [];
      for (let i = 0; i < SAMPLES; i += 1) {
        const userId = persons[Math.floor(random() * persons.length)]!;
        const started = performance.now();
        await work(userId);
        times.push(performance.now() - started);
      }
      times.sort((a, b) => a - b);
      return `p50 ${ms(quantile(times, 0.5))}, p95 ${ms(quantile(times, 0.95))}`;
    };
    const rows = await part(async (u) => similarStore.persons(tenantId, [u]));
    const search = await part(async (u) => {
      const [self] = await similarStore.persons(tenantId, [u]);
      return app.backends.searchIndex.search({ tenantId, collection: '_people', query: '', vector: self!.vector, mode: 'dense', limit: 11 });
    });
    const { rank } = await import('../../src/analytics/similar/similar.rank.js');
    const { intentsFrom } = await import('../../src/analytics/similar/similar.part.js');
    const intents = intentsFrom(app.features.categorizer as Parameters<typeof intentsFrom>[0]);
    const ranking = (withIntents: boolean) => part(async (u) => {
      const [self] = await similarStore.persons(tenantId, [u]);
      const hits = await app.backends.searchIndex.search({ tenantId, collection: '_people', query: '', vector: self!.vector, mode: 'dense', limit: withIntents ? 16 : 11 });
      const candidates = await similarStore.persons(tenantId, hits.map((h) => h.documentId));
      return rank(self!, candidates, 10, withIntents ? intents : undefined);
    });
    const ranked = await ranking(false);
    const rankedWithIntents = intents ? await ranking(true) : 'no categorizer';
    const rss = Math.round(process.memoryUsage().rss / 2 ** 20);
    console.log([
      `Measured ${new Date().toISOString().slice(0, 10)} on ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version};`,
      `\`node --import tsx bench/analytics/predict-similar.ts --events ${EVENTS} --samples ${SAMPLES} --seed ${SEED}\`: SQLite, embedded index, hash embedder (${app.backends.embedder?.dimension ?? 384} dims).`,
      `One tenant: ${entries.length.toLocaleString('en')} events of ${persons.length.toLocaleString('en')} persons (synthetic log, seed ${SEED}).`,
      '',
      '| figure | value |',
      '|---|---|',
      ...lines,
      `| \`GET …/predict?k=3\`, ${SAMPLES} random persons | p50 ${ms(predict.p50)}, p95 ${ms(predict.p95)}, p99 ${ms(predict.p99)}, max ${ms(predict.max)}; non-200: ${predict.failures} |`,
      `| \`GET …/similar?limit=10\`, ${SAMPLES} random persons | p50 ${ms(similar.p50)}, p95 ${ms(similar.p95)}, p99 ${ms(similar.p99)}, max ${ms(similar.max)}; non-200: ${similar.failures} |`,
      `| similar, its parts: the person's row / row + index search of 11 | ${rows} / ${search} |`,
      `| similar, its parts: + candidates' rows and ranking, without / with the categorizer's intents | ${ranked} / ${rankedWithIntents} |`,
      `| process RSS at the end | ${rss} MB |`,
    ].join('\n'));
  } finally {
    await app.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
