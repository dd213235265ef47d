/** For the memory e2e suites: the same suite on SQLite and on PostgreSQL (a fresh schema, dropped after). */
import { eventually, startTestApp, type TestApp } from './app.js';
import { freshPgSchema } from './services.js';

export const STORES = ['sqlite', 'postgres'] as const;
export type StoreKind = (typeof STORES)[number];

export async function startMemoryApp(store: StoreKind): Promise<{ t: TestApp; close(): Promise<void> }> {
  if (store === 'sqlite') {
    const t = await startTestApp();
    return { t, close: () => t.close() };
  }
  const pg = await freshPgSchema('memory');
  const t = await startTestApp({ DATABASE_URL: pg.connectionString, DATABASE_SCHEMA: pg.schema });
  return { t, close: async () => { await t.close(); await pg.drop(); } };
}

/** Waits until the memory consumer has applied everything appended so far (no replay open, nothing failed). */
export async function memoryCaughtUp(t: TestApp): Promise<void> {
  await eventually(async () => {
    const c = (await t.call('GET', '/v1/consumers')).json().items.find((i: { name: string }) => i.name === 'memory');
    return c && c.replaying === 0 && c.lagEvents === 0 && c.failed === 0;
  });
}
