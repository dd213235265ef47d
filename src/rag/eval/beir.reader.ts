/**
 * Reads a BEIR-layout dataset folder: `corpus.jsonl` (`_id`, `title`, `text`), `queries.jsonl`
 * (`_id`, `text`) and `qrels/<split>.tsv` (`query-id`, `corpus-id`, `score`, with a header).
 */
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { AppError } from '../../platform/errors.js';

export interface BeirDocument {
  id: string;
  title: string;
  text: string;
}

export interface BeirQuery {
  id: string;
  text: string;
}

/** query id → (document id → graded relevance > 0). */
export type Qrels = Map<string, Map<string, number>>;

async function* jsonLines(file: string): AsyncIterable<Record<string, unknown>> {
  const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
  for await (const line of lines) if (line.trim()) yield JSON.parse(line) as Record<string, unknown>;
}

/** Streams the corpus. */
export async function* readCorpus(datasetDir: string): AsyncIterable<BeirDocument> {
  for await (const row of jsonLines(join(datasetDir, 'corpus.jsonl'))) {
    yield { id: String(row._id), title: String(row.title ?? ''), text: String(row.text ?? '') };
  }
}

export async function readQueries(datasetDir: string): Promise<Map<string, BeirQuery>> {
  const queries = new Map<string, BeirQuery>();
  for await (const row of jsonLines(join(datasetDir, 'queries.jsonl'))) queries.set(String(row._id), { id: String(row._id), text: String(row.text ?? '') });
  return queries;
}

/** Judgments of a split; zero-relevance rows are dropped (they do not count as relevant). */
export async function readQrels(datasetDir: string, split: string): Promise<Qrels> {
  if (!/^[A-Za-z0-9_-]+$/.test(split)) throw new AppError('VALIDATION_FAILED', { detail: `split name not valid: ${split}` });
  const text = await readFile(join(datasetDir, 'qrels', `${split}.tsv`), 'utf8');
  const qrels: Qrels = new Map();
  for (const [i, line] of text.split(/\r?\n/).entries()) {
    const [queryId, docId, score] = line.split('\t');
    if (!queryId || !docId || score === undefined || (i === 0 && queryId === 'query-id')) continue;
    const relevance = Number(score);
    if (!(relevance > 0)) continue;
    const judged = qrels.get(queryId) ?? new Map<string, number>();
    judged.set(docId, relevance);
    qrels.set(queryId, judged);
  }
  return qrels;
}
