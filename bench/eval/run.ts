/**
 * Indexes a BEIR dataset straight into the embedded SearchIndex (hash embedder, chunker) and
 * prints nDCG@10 / Recall@100 / MRR@10. Comma lists sweep query-time settings over one index.
 * The last line is JSON: {"dataset","queries","ndcg@10","recall@100","mrr@10"} (last setting).
 *
 *   node --import tsx bench/eval/run.ts --dataset ../shared/datasets/scifact --split train \
 *     --mode lexical,hybrid --dense-weight 0.1,0.3 --gram-weight 0.3
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createHashEmbedder } from '../../src/adapters/embedder/hash/hash.embedder.js';
import { createEmbeddedSearchIndex } from '../../src/adapters/search/embedded/embedded.search-index.js';
import type { IndexChunk, SearchMode } from '../../src/ports/search-index.port.js';
import type { BeirDocument } from '../../src/rag/eval/beir.reader.js';
import { runEval, type EvalTarget } from '../../src/rag/eval/run-eval.js';
import type { StopwordList } from '../../src/text/stopwords.js';
import { chunkText } from '../../src/text/chunker.js';
import type { Language, LanguageSetting } from '../../src/text/language.js';

const { values } = parseArgs({
  options: {
    dataset: { type: 'string', default: '../shared/datasets/scifact' },
    split: { type: 'string', default: 'test' },
    mode: { type: 'string', default: 'hybrid' },
    'dense-weight': { type: 'string', default: '' },
    'gram-weight': { type: 'string', default: '' },
    'gram-size': { type: 'string', default: '4' },
    'gram-languages': { type: 'string', default: 'de' },
    stopwords: { type: 'string', default: 'full' },
    language: { type: 'string', default: 'en' },
    'chunk-size': { type: 'string', default: '0' },
  },
});

const list = (text: string) => (text ? text.split(',').map(Number) : [undefined]);
const tenantId = 'eval';
const collection = 'beir';
const dir = mkdtempSync(join(tmpdir(), 'eventrag-eval-'));
const embedder = createHashEmbedder();
const analyzer = { stopwords: values.stopwords as StopwordList, gramSize: Number(values['gram-size']),
  gramLanguages: values['gram-languages'].split(',').filter(Boolean) as Language[],
  maxTokenLength: 40,
};
const language = values.language as LanguageSetting;
const chunkSize = Number(values['chunk-size']);

function toChunks(document: BeirDocument): Omit<IndexChunk, 'vector'>[] {
  const text = document.title ? `${document.title}\n${document.text}` : document.text;
  const pieces = chunkSize > 0 ? chunkText(text, { size: chunkSize, overlap: Math.floor(chunkSize / 8), markdown: false }).map((c) => c.text) : [text];
  return pieces.map((piece, i) => ({ id: `${document.id}#${i}`, documentId: document.id, text: piece, metadata: {}, sourceEventId: 'eval' }));
}

async function indexCorpus(documents: AsyncIterable<BeirDocument>): Promise<void> {
  const index = createEmbeddedSearchIndex({ dir, analyzer, persistIntervalMs: 0 });
  await index.init();
  await index.ensureCollection({ tenantId, collection, dimension: embedder.dimension, language });
  let batch: Omit<IndexChunk, 'vector'>[] = [];
  const flush = async () => {
    const vectors = await embedder.embed({ texts: batch.map((chunk) => chunk.text), purpose: 'document' });
    await index.upsert({ tenantId, collection, chunks: batch.map((chunk, i) => ({ ...chunk, vector: vectors[i]! })) });
    batch = [];
  };
  for await (const document of documents) {
    batch.push(...toChunks(document));
    if (batch.length >= 256) await flush();
  }
  await flush();
  await index.close();
}

let indexed = false;
let last: Awaited<ReturnType<typeof runEval>> | undefined;
for (const mode of values.mode.split(',') as SearchMode[]) {
  for (const gramWeight of list(values['gram-weight'])) {
    for (const denseWeight of mode === 'hybrid' ? list(values['dense-weight']) : [undefined]) {
      const index = createEmbeddedSearchIndex({ dir, analyzer, persistIntervalMs: 0, ...(gramWeight === undefined ? {} : { gramWeight }) });
      await index.init();
      const target: EvalTarget = {
        index: indexCorpus,
        async search(query, limit) {
          const [vector] = mode === 'lexical' ? [undefined] : await embedder.embed({ texts: [query], purpose: 'query' });
          const hits = await index.search({ tenantId, collection, query, vector, mode, limit: limit * (chunkSize > 0 ? 2 : 1), denseWeight });
          return hits.map((hit) => hit.documentId);
        },
      };
      last = await runEval({ datasetDir: values.dataset, split: values.split, target, skipIndex: indexed });
      indexed = true;
      await index.close();
      console.log(`mode=${mode} gramWeight=${gramWeight ?? 'default'} denseWeight=${denseWeight ?? 'default'}`, JSON.stringify(last));
    }
  }
}
rmSync(dir, { recursive: true, force: true });
if (last) {
  const { dataset, queries } = last;
  console.log(JSON.stringify({ dataset, queries, 'ndcg@10': last['ndcg@10'], 'recall@100': last['recall@100'], 'mrr@10': last['mrr@10'] }));
}
