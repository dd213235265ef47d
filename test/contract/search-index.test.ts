import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { QdrantClient } from '@qdrant/js-client-rest';
import { createEmbeddedSearchIndex } from '../../src/adapters/search/embedded/embedded.search-index.js';
import { createQdrantSearchIndex } from '../../src/adapters/search/qdrant/qdrant.search-index.js';
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
  // Runs only where a Qdrant server is reachable (none on the development machines).
  const prefix = `contract_${process.pid}`;
  afterAll(async () => {
    const client = new QdrantClient({ url: qdrantUrl, apiKey: process.env.QDRANT_API_KEY, checkCompatibility: false });
    const { collections } = await client.getCollections();
    for (const { name } of collections.filter((c) => c.name.startsWith(`${prefix}_`))) await client.deleteCollection(name);
  });
  describeSearchIndexContract('qdrant', {
    async create(options) {
      if (!options?.reopen) counter += 1;
      const index = createQdrantSearchIndex({ url: qdrantUrl, apiKey: process.env.QDRANT_API_KEY, prefix: `${prefix}_${counter}` });
      await index.init();
      return index;
    },
  });
}
