/**
 * A search or answer with a 2,000-character query of distinct indexed words runs a bounded FTS5
 * query (at most QUERY_TERM_LIMITS terms per column, each once) and still finds the document
 * the query's rarest word points to. Regression test for "one member search blocks the event
 * loop": the server used to OR every analysed word and n-gram of the query. A search over several
 * collections lets other work run between them (each collection's search is synchronous).
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { QUERY_TERM_LIMITS } from '../../src/adapters/search/embedded/lexical-query.js';
import { PartitionStore } from '../../src/adapters/search/embedded/partition.store.js';
import { createApiKey } from '../../src/identity/keys.service.js';
import { startTestApp, type TestApp } from '../helpers/app.js';

const syllables = ['ba', 'ke', 'di', 'lo', 'mu', 'ra', 'so', 'ti', 'vu', 'ze', 'ny', 'pa', 'qu', 'wi', 'fo', 'ge'];
const vocabulary = Array.from({ length: 600 }, (_, i) => `${syllables[i % 16]}${syllables[(i >> 4) % 16]}${syllables[(i >> 8) % 16]}x`);
const RARE = 'zephyrquill';

let t: TestApp;
let memberKey: string;
beforeAll(async () => {
  t = await startTestApp();
  const created = await t.call('POST', '/v1/collections', { name: 'kb', language: 'de', textFields: ['body'] });
  expect(created.statusCode).toBe(201);
  // 30 documents share the vocabulary (every query word is indexed); one also holds the rare word.
  for (let d = 0; d < 30; d += 1) {
    const words = vocabulary.filter((_, i) => i % 30 === d || i % 7 === d % 7);
    const body = d === 17 ? `${words.join(' ')} ${RARE}` : words.join(' ');
    const res = await t.call('PUT', `/v1/collections/kb/documents/doc${d}?wait=true`, { body });
    expect(res.statusCode).toBeLessThan(300);
  }
  const store = t.app.backends.store;
  const tenant = (await store.tenants.bySlug('demo'))!;
  memberKey = (await createApiKey(store, { tenantId: tenant.id, role: 'member', userId: 'alice' })).key;
});
afterAll(async () => {
  vi.restoreAllMocks();
  await t.close();
});

function longQuery(): string {
  let query = RARE;
  for (const word of vocabulary) {
    if (query.length + word.length + 1 > 2000) break;
    query += ` ${word}`;
  }
  return query;
}

/** The MATCH expressions the index runs while `run` calls the API. */
async function matchesDuring(run: () => Promise<void>): Promise<string[]> {
  const seen: string[] = [];
  const original = PartitionStore.prototype.lexical;
  const spy = vi.spyOn(PartitionStore.prototype, 'lexical').mockImplementation(function (this: PartitionStore, match, ...rest) {
    seen.push(match);
    return original.call(this, match, ...rest);
  });
  try {
    await run();
  } finally {
    spy.mockRestore();
  }
  return seen;
}

function expectBounded(match: string): void {
  for (const [, column, list] of match.matchAll(/\{(words|grams)\}: \(([^)]*)\)/g)) {
    const terms = [...list!.matchAll(/"((?:[^"]|"")*)"/g)].map((m) => m[1]!);
    expect(terms.length, column).toBeLessThanOrEqual(QUERY_TERM_LIMITS[column as 'words' | 'grams'].keep);
    expect(new Set(terms).size, column).toBe(terms.length);
  }
}

describe('long search queries', () => {
  it('a 2,000-character query answers 200 with the expected hit, through a bounded FTS query', async () => {
    const query = longQuery();
    expect(query.length).toBeGreaterThan(1950);
    for (const mode of ['lexical', 'hybrid']) {
      let res: Awaited<ReturnType<TestApp['call']>> | undefined;
      const matches = await matchesDuring(async () => { res = await t.call('POST', '/v1/search', { query, collections: ['kb'], mode, limit: 5 }, memberKey); });
      expect(res!.statusCode, mode).toBe(200);
      const items = res!.json().items as Array<{ documentId: string; highlight: string }>;
      expect(items[0]?.documentId, mode).toBe('doc17');
      expect(items[0]!.highlight).toContain('<mark>');
      expect(matches.length, mode).toBeGreaterThan(0);
      matches.forEach(expectBounded);
      expect(matches.join(' ')).toContain(RARE);
    }
  });

  it('the same query repeated 500 times is one term, and /v1/answer is bounded too', async () => {
    const repeated = Array(160).fill(RARE).join(' ');
    expect(repeated.length).toBeGreaterThan(1900);
    let search: Awaited<ReturnType<TestApp['call']>> | undefined;
    const matches = await matchesDuring(async () => { search = await t.call('POST', '/v1/search', { query: repeated, collections: ['kb'], mode: 'lexical' }, memberKey); });
    expect(search!.statusCode).toBe(200);
    expect(search!.json().items.map((i: { documentId: string }) => i.documentId)).toEqual(['doc17']);
    expect(matches[0]!.match(/\{words\}: \(([^)]*)\)/)![1]).toBe(`"${RARE}"`);

    let answer: Awaited<ReturnType<TestApp['call']>> | undefined;
    const answerMatches = await matchesDuring(async () => { answer = await t.call('POST', '/v1/answer', { query: longQuery(), collections: ['kb'] }, memberKey); });
    expect(answer!.statusCode).toBe(200);
    expect(answer!.json().sources[0].documentId).toBe('doc17');
    expect(answerMatches.length).toBeGreaterThan(0);
    answerMatches.forEach(expectBounded);
  });

  it('a search over several collections lets other work run between collections', async () => {
    for (const name of ['kb2', 'kb3']) {
      expect((await t.call('POST', '/v1/collections', { name, language: 'de', textFields: ['body'] })).statusCode).toBe(201);
      await t.call('PUT', `/v1/collections/${name}/documents/x?wait=true`, { body: `${RARE} ${vocabulary.slice(0, 50).join(' ')}` });
    }
    const order: string[] = [];
    const original = PartitionStore.prototype.lexical;
    const spy = vi.spyOn(PartitionStore.prototype, 'lexical').mockImplementation(function (this: PartitionStore, ...args) {
      if (order.length === 0) setImmediate(() => order.push('other'));
      order.push('collection');
      return original.apply(this, args);
    });
    try {
      const res = await t.call('POST', '/v1/search', { query: longQuery(), collections: ['kb', 'kb2', 'kb3'], mode: 'lexical', limit: 100 }, memberKey);
      expect(res.statusCode).toBe(200);
      expect(new Set(res.json().items.map((i: { collection: string }) => i.collection))).toEqual(new Set(['kb', 'kb2', 'kb3']));
    } finally {
      spy.mockRestore();
    }
    expect(order).toEqual(['collection', 'other', 'collection', 'collection']);
  });
});
