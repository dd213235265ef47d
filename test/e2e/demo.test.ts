/**
 * `eventrag demo` as a child process against a real server (the test app listening on a free
 * port): it loads the sample shop through the HTTP API, and a second run changes nothing.
 */
import { execFile } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoEvents } from '../../src/cli/demo/demo.activity.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { childEnv } from '../helpers/processes.js';

const ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'eventrag');

let t: TestApp;
let url: string;
beforeAll(async () => {
  t = await startTestApp();
  await t.app.http!.listen({ host: '127.0.0.1', port: 0 });
  url = `http://127.0.0.1:${(t.app.http!.server.address() as AddressInfo).port}`;
});
afterAll(async () => { await t.close(); });

const demo = (args: string[], settings: Record<string, string> = {}) =>
  promisify(execFile)(process.execPath, [BIN, 'demo', '--url', url, ...args], { cwd: ROOT, env: childEnv({ DATA_DIR: t.dataDir, ...settings }), timeout: 150_000 });

interface Snapshot { events: number; byType: Record<string, number>; users: number; documents: Record<string, number>; collections: string[] }

async function snapshot(): Promise<Snapshot> {
  await t.app.tracker.flush(); // searches this test makes are recorded as events too
  const byType: Record<string, number> = {};
  const users = new Set<string>();
  let events = 0;
  let cursor: string | null = null;
  do {
    const page: { items: Array<{ type: string; userId: string | null }>; nextCursor: string | null } =
      (await t.call('GET', `/v1/events?limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)).json();
    for (const e of page.items) {
      events++;
      byType[e.type] = (byType[e.type] ?? 0) + 1;
      if (e.userId) users.add(e.userId);
    }
    cursor = page.nextCursor;
  } while (cursor);
  const collections = ((await t.call('GET', '/v1/collections')).json().items as Array<{ name: string }>).map((c) => c.name).sort();
  const documents: Record<string, number> = {};
  for (const name of collections) documents[name] = (await t.call('GET', `/v1/collections/${name}`)).json().stats.documents;
  return { events, byType, users: users.size, documents, collections };
}

describe('eventrag demo', () => {
  it('loads the sample shop through the API with a short-lived key from the local store, then revokes it', { timeout: 180_000 }, async () => {
    const { stdout } = await demo([]);
    expect(stdout).toContain('Sample shop loaded into tenant "demo"');
    expect(stdout).toContain(`curl -s "${url}/v1/events?userId=u-042&limit=20"`);
    const s = await snapshot();
    expect(s.collections).toEqual(['articles', 'customers', 'policies']);
    expect(s.documents).toEqual({ articles: 32, customers: 16, policies: 8 });
    expect(s.users).toBe(300);
    expect(s.byType['stock.low_detected']).toBe(1);
    expect(s.byType['order.placed']).toBeGreaterThan(50);
    expect(s.byType['query.executed']).toBeGreaterThan(100);
    expect(s.byType['page.viewed']).toBeGreaterThan(1000);
    // Every generated event is in the log once, plus one document.upserted per policy.
    expect(s.events).toBe(demoEvents(0).length + 8);
    const order = (await t.call('GET', '/v1/events?type=order.placed&limit=1')).json().items[0];
    expect(order.data.lines[0]).toEqual({ articleId: expect.stringMatching(/^A-\d{4}$/), quantity: expect.any(Number), price: expect.any(Number) });
    const alert = (await t.call('GET', '/v1/events?type=stock.low_detected')).json().items[0];
    expect(alert.data).toMatchObject({ articleId: 'A-1010', currentStock: 4, reorderPoint: 10 });
    // What the next steps suggest answers: a German search finds the German article.
    const hits = (await t.call('POST', '/v1/search', { query: 'akku bohrschrauber', collections: ['articles'] })).json().items;
    expect(hits[0].documentId).toBe('A-1001');
    const loader = ((await t.call('GET', '/v1/keys')).json().items as Array<{ name: string | null; revokedAt: string | null }>).filter((k) => k.name?.startsWith('demo loader'));
    expect(loader).toHaveLength(1);
    expect(loader[0]!.revokedAt).not.toBeNull();
  });

  it('changes nothing when run again (here with EVENTRAG_ADMIN_KEY)', { timeout: 180_000 }, async () => {
    const before = await snapshot();
    const { stdout } = await demo([], { EVENTRAG_ADMIN_KEY: t.adminKey });
    expect(stdout).toContain('all events were in the log already; policies: 0 written, 8 unchanged');
    expect(await snapshot()).toEqual(before);
  });

  it('says what to do when no server answers', async () => {
    const failed = promisify(execFile)(process.execPath, [BIN, 'demo', '--url', 'http://127.0.0.1:1', '--key', 'er_admin_x'], { cwd: ROOT, env: childEnv({}), timeout: 60_000 });
    await expect(failed).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('no eventrag server answers at http://127.0.0.1:1') });
  });
});
