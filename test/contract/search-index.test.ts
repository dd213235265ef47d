import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { createEmbeddedSearchIndex } from '../../src/adapters/search/embedded/embedded.search-index.js';
import type { SearchIndex } from '../../src/ports/search-index.port.js';
import { describeSearchIndexContract } from './search-index.contract.js';

const root = mkdtempSync(join(tmpdir(), 'eventrag-search-contract-'));
let counter = 0;
afterAll(() => rmSync(root, { recursive: true, force: true }));

describeSearchIndexContract('embedded (usearch + SQLite FTS5)', {
  async create(options) {
    if (!options?.reopen) counter += 1;
    const index = createEmbeddedSearchIndex({ dir: join(root, String(counter)), persistIntervalMs: 0 });
    await index.init();
    return index;
  },
});

const qdrantUrl = process.env.QDRANT_URL;
if (qdrantUrl) {
  // The Qdrant adapter lives in src/adapters/search/qdrant; loaded only where a server exists.
  const modulePath = '../../src/adapters/search/qdrant/qdrant.search-index.js';
  const { createQdrantSearchIndex } = (await import(modulePath)) as {
    createQdrantSearchIndex: (config: { url: string; apiKey?: string; prefix: string }) => SearchIndex;
  };
  describeSearchIndexContract('qdrant', {
    async create(options) {
      if (!options?.reopen) counter += 1;
      const index = createQdrantSearchIndex({ url: qdrantUrl, apiKey: process.env.QDRANT_API_KEY, prefix: `contract_${process.pid}_${counter}` });
      await index.init();
      return index;
    },
  });
}
