/**
 * Segment compatibility on a real server: what Segment's own collector accepts is accepted here.
 * The dataset (../shared/datasets/segment) is sent as real clients send it: analytics.js puts
 * `"category": null` (and other nulls) on optional fields, and some libraries send optional
 * timestamps that are not ISO 8601. Nothing of that may be rejected; an unparseable timestamp is
 * kept in `data.rawTimestamps`, the event is ordered by its receipt time, and the answer warns.
 */
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { outsideDataset } from '../helpers/datasets.js';

const segmentDataset = outsideDataset('segment');

let t: TestApp;
beforeAll(async () => { t = await startTestApp(); });
afterAll(async () => { await t.close(); });

const basic = (key: string) => `Basic ${Buffer.from(`${key}:`).toString('base64')}`;
const post = (path: string, body: unknown) => t.call('POST', `/v1/${path}`, body, null, { authorization: basic(t.ingestKey) });
const stored = async (id: string) => (await t.call('GET', `/v1/events/${id}`)).json();

function dataset(): Array<Record<string, any>> {
  const values: Record<string, () => string> = {
    id: () => `compat-${randomUUID()}`, uuid: () => randomUUID(), 'now.utc': () => new Date().toISOString(),
    domain: () => 'https://example.com', avatar: () => 'https://example.com/a.png', double: () => '1.5', ipv4: () => '203.0.113.7',
    email: () => 'jane@example.com', name: () => 'Jane Doe', 'name.first': () => 'Jane', 'name.last': () => 'Doe',
    'product.name': () => 'Widget', username: () => 'jane',
  };
  const fill = (line: string) => line.replace(/\{\{([a-z.]+)\}\}/g, (_m, key: string) => values[key]!());
  return readdirSync(segmentDataset.dir).filter((f) => f.endsWith('.log')).sort()
    .flatMap((f) => readFileSync(join(segmentDataset.dir, f), 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(fill(l)) as Record<string, any>));
}

/** Timestamps real libraries send that are not ISO 8601 date-times. */
const ODD_TIMESTAMPS: unknown[] = [1733227200000, '1733227200', 'Thu Dec 03 2026 12:00:00', '', 'now', '2026-13-45T99:99:99Z'];

/** The dataset as real clients send it: nulls on optional fields, odd optional timestamps. */
function asRealClientsSend(messages: Array<Record<string, any>>): Array<Record<string, any>> {
  return messages.map((m, i) => {
    const out: Record<string, any> = { ...m };
    if (m.type === 'page' || m.type === 'screen') { out.category ??= null; out.name ??= null; }
    if (m.type === 'track' && out.properties === undefined) out.properties = null;
    if (m.type === 'identify' || m.type === 'group') out.traits ??= null;
    out.integrations ??= null;
    out.context ??= null;
    if (i % 2 === 0) out.sentAt = null;
    if (i % 3 === 0) out.timestamp = ODD_TIMESTAMPS[(i / 3) % ODD_TIMESTAMPS.length];
    if (i % 5 === 0) out.originalTimestamp = 'yesterday';
    return out;
  });
}

describe('messages as real Segment clients send them', () => {
  it.skipIf(!segmentDataset.present)(`accepts every dataset message${segmentDataset.label} with nulls and odd timestamps, warning about each odd timestamp`, async () => {
    const messages = asRealClientsSend(dataset());
    expect(messages.length).toBeGreaterThanOrEqual(98);
    const refused: string[] = [];
    for (const message of messages) {
      const res = await post(message.type, message);
      if (res.statusCode !== 200) { refused.push(`${message.type} ${res.body}`); continue; }
      const body = res.json();
      expect(body).toMatchObject({ success: true, duplicate: false });
      const isIso = (v: unknown) => typeof v === 'string' && /^\d{4}-\d\d-\d\dT/.test(v) && !Number.isNaN(Date.parse(v));
      const odd = ['timestamp', 'sentAt', 'originalTimestamp'].filter((f) => message[f] !== undefined && message[f] !== null && !isIso(message[f]));
      expect((body.warnings ?? []).map((w: { pointer: string }) => w.pointer).sort(), JSON.stringify(message)).toEqual(odd.map((f) => `/${f}`).sort());
    }
    expect(refused, `${refused.length} of ${messages.length} refused`).toEqual([]);
  });

  it('keeps an unparseable timestamp in data.rawTimestamps and orders the event by its receipt time', async () => {
    const before = Date.now();
    const res = await post('page', { userId: 'compat-u1', name: 'Home', category: null, timestamp: 1733227200000, sentAt: 'soon', properties: { url: 'https://example.com/' } });
    expect(res.statusCode).toBe(200);
    expect(res.json().warnings).toEqual([
      expect.objectContaining({ pointer: '/timestamp' }), expect.objectContaining({ pointer: '/sentAt' }),
    ]);
    const event = await stored(res.json().id);
    expect(event.data.rawTimestamps).toEqual({ timestamp: 1733227200000, sentAt: 'soon' });
    expect(event.data).not.toHaveProperty('category');
    expect(Date.parse(event.time)).toBeGreaterThanOrEqual(before - 1);
    expect(event.time).toBe(event.receivedAt);
  });

  it('still uses a valid timestamp, and reports warnings per item in a batch', async () => {
    const res = await post('batch', {
      batch: [
        { type: 'track', userId: 'compat-u2', event: 'Good Time', timestamp: '2026-01-02T03:04:05.000Z' },
        { type: 'track', userId: 'compat-u2', event: 'Odd Time', timestamp: '02/01/2026' },
        { type: 'page', anonymousId: 'compat-anon', name: null, category: null, properties: null, context: null },
      ],
    });
    expect(res.statusCode).toBe(200);
    const { results } = res.json();
    expect(res.json()).toMatchObject({ accepted: 3, rejected: 0 });
    expect(results[0].warnings).toBeUndefined();
    expect(results[1].warnings).toEqual([expect.objectContaining({ pointer: '/timestamp' })]);
    expect(results[2].warnings).toBeUndefined();
    expect((await stored(results[0].id)).time).toBe('2026-01-02T03:04:05.000Z');
    expect((await stored(results[1].id)).data.rawTimestamps).toEqual({ timestamp: '02/01/2026' });
    // A batch-level sentAt that is not ISO 8601 is kept and warned about on each message.
    const oddBatch = await post('batch', { sentAt: 1733227200, batch: [{ type: 'track', userId: 'compat-u2', event: 'Batch Sent' }] });
    expect(oddBatch.json().results[0].warnings).toEqual([expect.objectContaining({ pointer: '/sentAt' })]);
    expect((await stored(oddBatch.json().results[0].id)).data.rawTimestamps).toEqual({ sentAt: 1733227200 });
  });

  it('keeps required fields required', async () => {
    const cases: Array<[string, unknown, string]> = [
      ['track', { userId: 'u', event: null }, '/event'],
      ['group', { userId: 'u', groupId: null }, '/groupId'],
      ['alias', { userId: 'u', previousId: null }, '/previousId'],
      ['page', { userId: null, anonymousId: null, name: 'x' }, '/userId'],
      ['batch', { batch: [{ userId: 'u', event: 'No type' }] }, '/type'],
    ];
    for (const [path, body, pointer] of cases) {
      const res = await post(path, body);
      const errors = path === 'batch' ? res.json().results[0].error.errors : res.json().errors;
      if (path !== 'batch') expect(res.statusCode, `${path} ${JSON.stringify(body)}`).toBe(400);
      expect(errors.map((e: { pointer: string }) => e.pointer), `${path} ${JSON.stringify(body)}`).toContain(pointer);
    }
  });
});
