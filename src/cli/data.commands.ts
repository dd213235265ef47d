/** `eventrag ingest` (JSON lines of events → the log) and `eventrag search` (query collections). */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { loadConfig } from '../config.js';
import type { Principal } from '../identity/principal.js';
import { createApp, type App } from '../main.js';
import { AppError } from '../platform/errors.js';
import type { SearchMode } from '../ports/search-index.port.js';
import { nativeToItem } from '../events/ingest/wire-formats.js';
import type { IngestItem } from '../events/ingest/ingest.service.js';

const BATCH = 500;

async function withApp<T>(tenantSlug: string, work: (app: App, principal: Principal) => Promise<T>): Promise<T> {
  // Role `api` with no workers started: the events are in the log, and a running server (or worker) applies them.
  const app = await createApp(loadConfig({ ROLE: 'api', DEMO_TENANT: false, LOG_LEVEL: 'warn' }));
  try {
    const tenant = await app.backends.store.tenants.bySlug(tenantSlug);
    if (!tenant) throw new AppError('NOT_FOUND', { detail: `no tenant ${tenantSlug}` });
    return await work(app, { kind: 'apiKey', id: 'cli', tenant, role: 'admin', userId: null });
  } finally {
    await app.stop();
  }
}

/** Reads native events, one JSON object per line, from a file or stdin; prints {accepted, duplicates, rejected, errors}. */
export async function ingestCommand(tenantSlug: string, file: string | undefined): Promise<void> {
  await withApp(tenantSlug, async (app, principal) => {
    const totals = { accepted: 0, duplicates: 0, rejected: 0, errors: [] as Array<{ line: number; detail: string }> };
    let batch: Array<{ line: number; item: IngestItem }> = [];
    const flush = async () => {
      const results = await app.ingest.ingest(principal, batch.map((b) => b.item));
      for (const [i, r] of results.entries()) {
        if (r.status === 'accepted') totals.accepted += 1;
        else if (r.status === 'duplicate') totals.duplicates += 1;
        else if (r.status === 'rejected') { totals.rejected += 1; totals.errors.push({ line: batch[i]!.line, detail: r.error.detail }); }
      }
      batch = [];
    };
    const lines = createInterface({ input: file ? createReadStream(file) : process.stdin, crlfDelay: Infinity });
    let number = 0;
    for await (const line of lines) {
      number += 1;
      if (!line.trim()) continue;
      try {
        batch.push({ line: number, item: nativeToItem(JSON.parse(line)) });
      } catch (error) {
        totals.rejected += 1;
        totals.errors.push({ line: number, detail: (error as Error).message });
      }
      if (batch.length === BATCH) await flush();
    }
    if (batch.length > 0) await flush();
    process.stdout.write(`${JSON.stringify({ ...totals, errors: totals.errors.slice(0, 20) })}\n`);
    if (totals.rejected > 0) process.exitCode = 1;
  });
}

/** Prints hits as JSON lines: {score, collection, documentId, text}. */
export async function searchCommand(tenantSlug: string, query: string, collections: string[], mode: SearchMode, limit: number): Promise<void> {
  await withApp(tenantSlug, async (app, principal) => {
    const result = await app.retrieval.search.search({ tenantId: principal.tenant.id, query, collections, mode, limit });
    for (const hit of result.items) {
      process.stdout.write(`${JSON.stringify({ score: Number(hit.score.toFixed(4)), collection: hit.collection, documentId: hit.documentId, text: hit.text.slice(0, 200) })}\n`);
    }
  });
}
