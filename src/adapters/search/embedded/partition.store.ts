/**
 * The SQLite half of one embedded partition (tenant + collection): chunk rows with their vectors
 * (the partition's source of vectors, WAL), and a contentless FTS5 table over the analysed text
 * (`words` = stemmed terms, `grams` = character n-grams) ranked by bm25().
 */
import Database from 'better-sqlite3';
import type { IndexChunk, Metadata } from '../../../ports/search-index.port.js';
import { analyze, type AnalyzerOptions } from '../../../text/analyzer.js';
import type { LanguageSetting } from '../../../text/language.js';
import type { SqlFilter } from './filter.sql.js';

export interface ChunkRow {
  label: number;
  id: string;
  document_id: string;
  text: string;
  metadata: string;
  source_event_id: string;
}

export interface StoredSpec {
  dimension: number;
  language: LanguageSetting;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS chunks (
  label INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  document_id TEXT NOT NULL,
  text TEXT NOT NULL,
  metadata TEXT NOT NULL,
  source_event_id TEXT NOT NULL,
  vector BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_document ON chunks(document_id);
-- The owner of a chunk in a per-user collection (SearchParams.owner): a member's search reads only their rows.
CREATE INDEX IF NOT EXISTS chunks_owner ON chunks(json_extract(metadata, '$.userId'));
CREATE VIRTUAL TABLE IF NOT EXISTS fts USING fts5(words, grams, content='', contentless_delete=1, tokenize='unicode61 remove_diacritics 0');
CREATE VIRTUAL TABLE IF NOT EXISTS fts_vocab USING fts5vocab(fts, 'col');
`;

const ROW_COLUMNS = 'c.label, c.id, c.document_id, c.text, c.metadata, c.source_event_id';
const STATEMENT_CACHE_LIMIT = 64;

export class PartitionStore {
  readonly db: Database.Database;
  private readonly statements = new Map<string, Database.Statement>();

  constructor(file: string) {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(SCHEMA);
  }

  close(): void {
    this.statements.clear();
    this.db.close();
  }

  /** A cached prepared statement (filters compile to a bounded set of SQL texts). */
  statement(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      if (this.statements.size >= STATEMENT_CACHE_LIMIT) this.statements.clear();
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  getMeta(key: string): string | undefined {
    return (this.statement('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined)?.value;
  }

  setMeta(key: string, value: string | number): void {
    this.statement('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, String(value));
  }

  spec(): StoredSpec | null {
    const dimension = this.getMeta('dimension');
    const language = this.getMeta('language');
    return dimension && language ? { dimension: Number(dimension), language: language as LanguageSetting } : null;
  }

  generation(): number {
    return Number(this.getMeta('generation') ?? '0');
  }

  /** Writes chunks in one transaction; returns their labels (stable across updates of an id). */
  upsert(chunks: IndexChunk[], language: LanguageSetting, analyzer: AnalyzerOptions): number[] {
    const write = this.statement(
      `INSERT INTO chunks (id, document_id, text, metadata, source_event_id, vector) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT(id) DO UPDATE SET document_id = excluded.document_id, text = excluded.text, metadata = excluded.metadata,
       source_event_id = excluded.source_event_id, vector = excluded.vector RETURNING label`,
    );
    const ftsDelete = this.statement('DELETE FROM fts WHERE rowid = ?');
    const ftsInsert = this.statement('INSERT INTO fts (rowid, words, grams) VALUES (?, ?, ?)');
    const run = this.db.transaction(() => {
      const labels: number[] = [];
      for (const chunk of chunks) {
        const vector = chunk.vector instanceof Float32Array ? chunk.vector : Float32Array.from(chunk.vector);
        const blob = Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength);
        const { label } = write.get(chunk.id, chunk.documentId, chunk.text, JSON.stringify(chunk.metadata), chunk.sourceEventId, blob) as { label: number };
        const analyzed = analyze(chunk.text, language, analyzer);
        ftsDelete.run(label);
        ftsInsert.run(label, analyzed.words.join(' '), analyzed.grams.join(' '));
        labels.push(label);
      }
      const last = chunks.at(-1);
      if (last) this.setMeta('last_source_event_id', last.sourceEventId);
      this.setMeta('generation', this.generation() + 1);
      return labels;
    });
    return run();
  }

  /** Deletes every chunk of the documents; returns the removed labels. */
  deleteDocuments(documentIds: string[]): number[] {
    const select = this.statement('SELECT label FROM chunks WHERE document_id IN (SELECT value FROM json_each(?))');
    const run = this.db.transaction(() => {
      const labels = (select.all(JSON.stringify(documentIds)) as { label: number }[]).map((row) => row.label);
      if (labels.length === 0) return labels;
      const json = JSON.stringify(labels);
      this.statement('DELETE FROM chunks WHERE label IN (SELECT value FROM json_each(?))').run(json);
      this.statement('DELETE FROM fts WHERE rowid IN (SELECT value FROM json_each(?))').run(json);
      this.setMeta('generation', this.generation() + 1);
      return labels;
    });
    return run();
  }

  /** Rows for labels, in the order given (missing labels skipped). */
  rows(labels: number[]): ChunkRow[] {
    if (labels.length === 0) return [];
    const found = this.statement(`SELECT ${ROW_COLUMNS} FROM chunks c WHERE c.label IN (SELECT value FROM json_each(?))`).all(JSON.stringify(labels)) as ChunkRow[];
    const byLabel = new Map(found.map((row) => [row.label, row]));
    return labels.map((label) => byLabel.get(label)).filter((row): row is ChunkRow => row !== undefined);
  }

  /** The labels among `labels` whose metadata passes the filter. */
  filterLabels(labels: number[], filter: SqlFilter): Set<number> {
    const sql = `SELECT c.label FROM chunks c WHERE c.label IN (SELECT value FROM json_each(?)) AND ${filter.sql}`;
    const rows = this.statement(sql).all(JSON.stringify(labels), ...filter.params) as { label: number }[];
    return new Set(rows.map((row) => row.label));
  }

  /** Every (label, vector) passing the filter: the exact-scan fallback and HNSW rebuild input. */
  *vectors(filter: SqlFilter): IterableIterator<{ label: number; vector: Float32Array }> {
    const sql = `SELECT c.label, c.vector FROM chunks c WHERE ${filter.sql}`;
    for (const row of this.statement(sql).iterate(...filter.params) as IterableIterator<{ label: number; vector: Buffer }>) {
      const copy = new Uint8Array(row.vector);
      yield { label: row.label, vector: new Float32Array(copy.buffer, 0, copy.byteLength / 4) };
    }
  }

  /** Document frequency of FTS terms in one column. */
  documentFrequencies(column: 'words' | 'grams', terms: string[]): Map<string, number> {
    const sql = 'SELECT term, doc FROM fts_vocab WHERE col = ? AND term IN (SELECT value FROM json_each(?))';
    const rows = this.statement(sql).all(column, JSON.stringify(terms)) as { term: string; doc: number }[];
    return new Map(rows.map((row) => [row.term, row.doc]));
  }

  /** BM25-ranked labels (score higher is better) for an FTS5 MATCH expression. */
  lexical(match: string, gramWeight: number, limit: number, filter: SqlFilter): { label: number; score: number }[] {
    const join = filter.sql === '1' ? '' : ' JOIN chunks c ON c.label = fts.rowid';
    const where = filter.sql === '1' ? '' : ` AND ${filter.sql}`;
    const sql = `SELECT fts.rowid AS label, -bm25(fts, 1.0, ?) AS score FROM fts${join} WHERE fts MATCH ?${where} ORDER BY score DESC LIMIT ?`;
    return this.statement(sql).all(gramWeight, match, ...filter.params, limit) as { label: number; score: number }[];
  }

  counts(): { chunks: number; documents: number } {
    return this.statement('SELECT count(*) AS chunks, count(DISTINCT document_id) AS documents FROM chunks').get() as {
      chunks: number;
      documents: number;
    };
  }
}

/** Parses a row's metadata JSON. */
export function parseMetadata(json: string): Metadata {
  return JSON.parse(json) as Metadata;
}
