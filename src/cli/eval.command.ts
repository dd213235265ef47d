/**
 * `eventrag eval`: indexes a BEIR dataset through the same code paths as the API (document events
 * → log → indexer consumer → search index), runs the split's queries through the search service
 * and prints nDCG@10, Recall@100 and MRR@10. The last stdout line is JSON.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../config.js';
import type { Principal } from '../identity/principal.js';
import { createApp, type App } from '../main.js';
import type { SearchMode } from '../ports/search-index.port.js';
import type { BeirDocument } from '../rag/eval/beir.reader.js';
import { runEval } from '../rag/eval/run-eval.js';
import type { LanguageSetting } from '../text/language.js';

export interface EvalOptions {
  dataset: string;
  split: string;
  mode: SearchMode;
  language: LanguageSetting;
  chunkSize: number;
}

const BATCH = 500;
const COLLECTION = 'beir';

/** The files of a BEIR folder that `dir` lacks for `split` (empty when it has them all). */
export function missingBeirFiles(dir: string, split: string): string[] {
  return ['corpus.jsonl', 'queries.jsonl', join('qrels', `${split}.tsv`)].filter((file) => !existsSync(join(dir, file)));
}

async function waitForIndexer(app: App): Promise<void> {
  for (;;) {
    const lag = (await app.status.lag(null)).find((c) => c.consumer.name === 'indexer');
    if (!lag || lag.lagEvents === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function indexCorpus(app: App, principal: Principal, documents: AsyncIterable<BeirDocument>): Promise<void> {
  let batch: BeirDocument[] = [];
  let total = 0;
  const flush = async () => {
    const results = await app.ingest.ingest(principal, batch.map((d) => ({
      type: 'document.upserted', data: { collection: COLLECTION, documentId: d.id, fields: { title: d.title, text: d.text } },
    })));
    const rejected = results.filter((r) => r.status === 'rejected');
    if (rejected.length > 0) throw new Error(`${rejected.length} documents rejected: ${JSON.stringify(rejected[0])}`);
    total += batch.length;
    process.stderr.write(`\rindexing: ${total} documents sent`);
    batch = [];
  };
  for await (const document of documents) {
    batch.push(document);
    if (batch.length === BATCH) await flush();
  }
  if (batch.length > 0) await flush();
  await waitForIndexer(app);
  process.stderr.write(`\rindexing: ${total} documents indexed\n`);
}

export async function runEvalCommand(options: EvalOptions): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'eventrag-eval-'));
  const app = await createApp(loadConfig({ DATA_DIR: dataDir, DEMO_TENANT: false, LOG_LEVEL: 'warn', ROLE: 'all', DATABASE_URL: '', NATS_URL: '', REDIS_URL: '', QDRANT_URL: '' }));
  try {
    await app.startWorkers();
    const { tenant } = await app.backends.store.tenants.ensure('eval');
    const principal: Principal = { kind: 'apiKey', id: 'eval', tenant, role: 'admin', userId: null };
    await app.retrieval.collections.create(tenant.id, {
      name: COLLECTION, textFields: ['title', 'text'], titleField: 'title', language: options.language,
      chunking: { size: options.chunkSize, overlap: Math.floor(options.chunkSize / 8), markdown: false },
    });
    const result = await runEval({
      datasetDir: options.dataset,
      split: options.split,
      target: {
        index: (documents) => indexCorpus(app, principal, documents),
        search: async (query, limit) => (await app.retrieval.search.search({ tenantId: tenant.id, query, collections: [COLLECTION], limit, mode: options.mode })).items.map((i) => i.documentId),
      },
      onProgress: (done, total) => { if (done % 50 === 0 || done === total) process.stderr.write(`\rqueries: ${done}/${total}`); },
    });
    process.stderr.write('\n');
    process.stdout.write(`mode ${options.mode}, language ${options.language}, chunk size ${options.chunkSize}; indexing ${result.indexSeconds}s, search ${result.searchSeconds}s\n`);
    process.stdout.write(`${JSON.stringify({ dataset: result.dataset, queries: result.queries, 'ndcg@10': result['ndcg@10'], 'recall@100': result['recall@100'], 'mrr@10': result['mrr@10'] })}\n`);
  } finally {
    await app.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
