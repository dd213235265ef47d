/**
 * One JSON body parser for every JSON content type, on a real server: bodies nested deeper than
 * REQUEST_MAX_DEPTH answer 400 REQUEST_TOO_DEEP before any other work (regression test for stack
 * overflows at ~5,000 levels and for Segment arrays 10,000 deep), and `__proto__` /
 * `constructor.prototype` keys answer 400 VALIDATION_FAILED whatever the content type
 * (regression test for keys silently dropped on cloudevents+json and Segment text/plain).
 */
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';

let t: TestApp;
let baseUrl: string;
beforeAll(async () => {
  t = await startTestApp();
  await t.app.http!.listen({ host: '127.0.0.1', port: 0 });
  baseUrl = `http://127.0.0.1:${(t.app.http!.server.address() as AddressInfo).port}`;
});
afterAll(async () => { await t.close(); });

const basic = (key: string) => `Basic ${Buffer.from(`${key}:`).toString('base64')}`;

/** `{"type":…,"data":` + `{"a":` × n + 1 + `}` × n + `}`: the body nests n + 1 levels. */
const deepObject = (levels: number) => `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;
const deepArray = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`;

interface Target { name: string; url: string; contentType: string; key: () => string | null; headers?: () => Record<string, string>; wrap: (inner: string) => string }

/** Every route family and JSON content type the server parses; `wrap` adds one level around `inner`. */
const targets: Target[] = [
  { name: 'native event (application/json)', url: '/v1/events', contentType: 'application/json', key: () => t.adminKey, wrap: (inner) => `{"type":"deep.test","data":${inner}}` },
  { name: 'CloudEvent (application/cloudevents+json)', url: '/v1/events', contentType: 'application/cloudevents+json', key: () => t.adminKey, wrap: (inner) => `{"specversion":"1.0","id":"x1","source":"/t","type":"deep.test","data":${inner}}` },
  { name: 'CloudEvents batch (application/cloudevents-batch+json)', url: '/v1/events/batch', contentType: 'application/cloudevents-batch+json', key: () => t.adminKey, wrap: (inner) => `[${inner}]` },
  { name: 'Segment track (text/plain, Basic auth)', url: '/v1/track', contentType: 'text/plain', key: () => null, headers: () => ({ authorization: basic(t.ingestKey) }), wrap: (inner) => `{"userId":"u1","event":"Deep","properties":${inner}}` },
  { name: 'Segment batch (application/json, Basic auth)', url: '/v1/batch', contentType: 'application/json', key: () => null, headers: () => ({ authorization: basic(t.ingestKey) }), wrap: (inner) => `{"batch":${inner}}` },
  { name: 'search filter (application/json)', url: '/v1/search', contentType: 'application/json', key: () => t.adminKey, wrap: (inner) => `{"query":"x","filter":${inner}}` },
];

async function send(target: Target, body: string) {
  return t.call('POST', target.url, body, target.key(), { 'content-type': target.contentType, ...(target.headers?.() ?? {}) });
}

describe('nesting depth is bounded before any other work', () => {
  for (const target of targets) {
    it(`${target.name}: 5,000 levels answer 400 REQUEST_TOO_DEEP as problem+json`, async () => {
      const res = await send(target, target.wrap(deepObject(5_000)));
      expect(res.statusCode).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json()).toMatchObject({ code: 'REQUEST_TOO_DEEP', status: 400 });
    });

    it(`${target.name}: one level past the limit is rejected, the limit itself is not`, async () => {
      const limit = t.config.REQUEST_MAX_DEPTH;
      expect((await send(target, target.wrap(deepArray(limit)))).json().code).toBe('REQUEST_TOO_DEEP');
      const atLimit = await send(target, target.wrap(deepArray(limit - 1)));
      expect(atLimit.json().code).not.toBe('REQUEST_TOO_DEEP');
      expect(atLimit.statusCode).toBeLessThan(500);
    });
  }

  it('a Segment array nested 10,000 deep (20 KB) answers 400 over a real socket', async () => {
    const res = await fetch(`${baseUrl}/v1/track`, {
      method: 'POST',
      headers: { authorization: basic(t.ingestKey), 'content-type': 'text/plain' },
      body: `{"userId":"u1","event":"Deep","properties":{"list":${deepArray(10_000)}}}`,
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { code: string }).code).toBe('REQUEST_TOO_DEEP');
  });

  it('JSON inside a CloudEvent data_base64 is held to the same limit', async () => {
    const ce = (data: string) => JSON.stringify({ specversion: '1.0', id: `b64-${data.length}`, source: '/t', type: 'deep.test', datacontenttype: 'application/json', data_base64: Buffer.from(data).toString('base64') });
    const deep = await send(targets[1]!, ce(deepArray(6_000)));
    expect(deep.statusCode).toBe(400);
    expect(deep.json().code).toBe('REQUEST_TOO_DEEP');
    expect((await send(targets[1]!, ce('{"ok":[1,2]}'))).statusCode).toBe(202);
  });

  it('JSON inside data_base64 is depth-checked before any parsing (regression test: it went through JSON.parse first)', async () => {
    const deepText = deepArray(100_000); // 200 KB; parsed and serialised, it overflows the stack
    const body = JSON.stringify({ specversion: '1.0', id: 'b64-100k', source: '/t', type: 'deep.test', datacontenttype: 'application/json', data_base64: Buffer.from(deepText).toString('base64') });
    const parse = vi.spyOn(JSON, 'parse');
    try {
      const res = await fetch(`${baseUrl}/v1/events`, { method: 'POST', headers: { authorization: `Bearer ${t.adminKey}`, 'content-type': 'application/cloudevents+json' }, body });
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(((await res.json()) as { code: string }).code).toBe('REQUEST_TOO_DEEP');
      expect(parse.mock.calls.some(([text]) => text === deepText)).toBe(false);
    } finally {
      parse.mockRestore();
    }
    expect((await fetch(`${baseUrl}/health/live`)).status).toBe(200);
  });

  it('data_base64 marked JSON that is not JSON is kept as text', async () => {
    const body = JSON.stringify({ specversion: '1.0', id: 'b64-text', source: '/t', type: 'deep.test', datacontenttype: 'application/json', data_base64: Buffer.from('not json [').toString('base64') });
    const res = await send(targets[1]!, body);
    expect(res.statusCode).toBe(202);
    expect((await t.call('GET', `/v1/events/${res.json().id}`)).json().data).toEqual({ text: 'not json [' });
  });

  it('brackets inside strings (with escaped quotes) do not count', async () => {
    const text = JSON.stringify({ s: `\\"${'[{'.repeat(3_000)}`, t: '"]]]' });
    const res = await send(targets[0]!, targets[0]!.wrap(text));
    expect(res.statusCode).toBe(202);
    const stored = (await t.call('GET', `/v1/events/${res.json().id}`)).json();
    expect(stored.data).toEqual(JSON.parse(text));
  });

  it('the server is alive and answers health after all of it', async () => {
    const res = await fetch(`${baseUrl}/health/live`);
    expect(res.status).toBe(200);
  });
});

describe('one __proto__ rule for every JSON content type', () => {
  const poisoned = ['{"__proto__":{"admin":true}}', '{"constructor":{"prototype":{"admin":true}}}', '{"x":{"\\u005f_proto__":{"admin":true}}}'];
  for (const target of targets) {
    for (const inner of poisoned) {
      it(`${target.name}: ${inner} answers 400 VALIDATION_FAILED`, async () => {
        const res = await send(target, target.wrap(inner));
        expect(res.statusCode).toBe(400);
        expect(res.headers['content-type']).toContain('application/problem+json');
        expect(res.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
        expect(res.json().detail).toContain('__proto__');
      });
    }
  }

  it('JSON inside data_base64 follows the same rule', async () => {
    const body = JSON.stringify({ specversion: '1.0', id: 'proto-b64', source: '/t', type: 'deep.test', datacontenttype: 'application/json', data_base64: Buffer.from(poisoned[0]!).toString('base64') });
    const res = await send(targets[1]!, body);
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('VALIDATION_FAILED');
  });

  it('an ordinary key named "constructor" or "proto" is still accepted', async () => {
    const res = await send(targets[0]!, targets[0]!.wrap('{"constructor":"Foo","proto":"x","__proto":1}'));
    expect(res.statusCode).toBe(202);
  });
});

describe('binary-mode CloudEvents', () => {
  const headers = { 'ce-specversion': '1.0', 'ce-id': 'bin-deep', 'ce-source': '/t', 'ce-type': 'deep.test' };
  it('a deep JSON body answers 400 REQUEST_TOO_DEEP; an empty one is still an event without data', async () => {
    const deep = await t.call('POST', '/v1/events', deepArray(3_000), t.adminKey, { ...headers, 'content-type': 'application/json' });
    expect(deep.statusCode).toBe(400);
    expect(deep.json().code).toBe('REQUEST_TOO_DEEP');
    const empty = await t.call('POST', '/v1/events', '', t.adminKey, { ...headers, 'ce-id': 'bin-empty', 'content-type': 'application/json' });
    expect(empty.statusCode).toBe(202);
  });
});

describe('REQUEST_MAX_DEPTH is a setting', () => {
  let small: TestApp;
  beforeAll(async () => { small = await startTestApp({ REQUEST_MAX_DEPTH: 6 }); });
  afterAll(async () => { await small.close(); });

  it('with REQUEST_MAX_DEPTH=6 a body 7 levels deep is refused and 6 levels are accepted', async () => {
    // the body, data, then arrays: `levels` in all
    const body = (levels: number) => `{"type":"deep.test","data":{"a":${deepArray(levels - 2)}}}`;
    const over = await small.call('POST', '/v1/events', body(7), small.adminKey, { 'content-type': 'application/json' });
    expect(over.json().code).toBe('REQUEST_TOO_DEEP');
    const at = await small.call('POST', '/v1/events', body(6), small.adminKey, { 'content-type': 'application/json' });
    expect(at.statusCode).toBe(202);
  });
});
