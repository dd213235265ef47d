import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPostgresStore } from '../../src/adapters/sql/postgres.store.js';
import { createSqliteStore } from '../../src/adapters/sql/sqlite.store.js';
import { freshPgSchema } from '../helpers/services.js';
import { describeStoreContract } from './store.contract.js';

describeStoreContract('sqlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'eventrag-store-'));
  const store = createSqliteStore({ filename: join(dir, 'store.db') });
  return {
    store,
    async teardown() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

describeStoreContract('postgres', async () => {
  const pg = await freshPgSchema();
  const store = createPostgresStore({ connectionString: pg.connectionString, schema: pg.schema, maxConnections: 8 });
  return {
    store,
    async teardown() {
      await store.close();
      await pg.drop();
    },
  };
});
