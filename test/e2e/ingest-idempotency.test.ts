/**
 * Idempotency keys on a real server: scoped per source of the key (native, CloudEvents, Segment)
 * and per member's user, so one user can never collide with or probe another's keys; a key reused
 * with a different body answers 409 IDEMPOTENCY_CONFLICT, the same body the original id.
 * Regression tests for keys that collided silently across users and wire formats.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';

let t: TestApp;
let alice: string;
let bob: string;
beforeAll(async () => {
  t = await startTestApp();
  alice = await t.memberKey('alice');
  bob = await t.memberKey('bob');
});
afterAll(async () => { await t.close(); });

const key = () => `k-${randomUUID()}`;
const native = (idempotencyKey: string, data: object = { n: 1 }) => ({ type: 'note.added', idempotencyKey, data });
const cloudEvent = (id: string, data: object = { n: 1 }, extra: object = {}) => ({ specversion: '1.0', id, source: '/apps/notes', type: 'note.added', data, ...extra });
const CE = { 'content-type': 'application/cloudevents+json' };
const CE_BATCH = { 'content-type': 'application/cloudevents-batch+json' };
const segment = (path: string, body: object, apiKey: string) => t.call('POST', `/v1/${path}`, body, apiKey);
const storedEvent = async (id: string) => (await t.call('GET', `/v1/events/${id}`)).json();

function expectConflict(res: { statusCode: number; headers: Record<string, unknown>; json: () => any }, pointer: string) {
  expect(res.statusCode).toBe(409);
  expect(res.headers['content-type']).toContain('application/problem+json');
  expect(res.json()).toMatchObject({ code: 'IDEMPOTENCY_CONFLICT', status: 409, errors: [{ pointer }] });
}

describe('native idempotencyKey', () => {
  it('answers the same body with the original id, and a different body with 409 that does not reveal it', async () => {
    const k = key();
    const first = await t.call('POST', '/v1/events', native(k), t.ingestKey);
    expect(first.statusCode).toBe(202);
    // Same content, other key order: the same body.
    const same = await t.call('POST', '/v1/events', { data: { n: 1 }, idempotencyKey: k, type: 'note.added' }, t.ingestKey);
    expect(same.json()).toEqual({ id: first.json().id, duplicate: true });
    const changed = await t.call('POST', '/v1/events', native(k, { n: 2 }), t.ingestKey);
    expectConflict(changed, '/idempotencyKey');
    expect(changed.body).not.toContain(first.json().id);
    const list = (await t.call('GET', '/v1/events?type=note.added&limit=1000')).json().items.filter((e: { idempotencyKey: string }) => e.idempotencyKey === k);
    expect(list).toHaveLength(1);
    expect(list[0].data).toEqual({ n: 1 });
  });

  it('reports a conflict per item in a batch and stores the others', async () => {
    const k = key();
    await t.call('POST', '/v1/events', native(k), t.ingestKey);
    const res = await t.call('POST', '/v1/events/batch', [native(k), native(k, { n: 3 }), native(key())], t.ingestKey);
    expect(res.statusCode).toBe(202);
    expect(res.json()).toMatchObject({ accepted: 1, duplicates: 1, rejected: 1 });
    expect(res.json().results[1]).toMatchObject({ status: 'rejected', error: { code: 'IDEMPOTENCY_CONFLICT', status: 409 } });
  });

  it('keeps each member\'s keys apart: Bob reusing Alice\'s key stores his own event', async () => {
    const k = key();
    const mine = await t.call('POST', '/v1/events', native(k, { who: 'alice' }), alice);
    const his = await t.call('POST', '/v1/events', native(k, { who: 'bob' }), bob);
    expect(his.statusCode).toBe(202);
    expect(his.json().duplicate).toBe(false);
    expect(his.json().id).not.toBe(mine.json().id);
    expect(await storedEvent(his.json().id)).toMatchObject({ userId: 'bob', data: { who: 'bob' } });
    // Bob cannot probe Alice's key with her body either: he gets a fresh event, not her id.
    const probe = await t.call('POST', '/v1/events', native(k, { who: 'alice' }), bob);
    expect(probe.json().id).not.toBe(mine.json().id);
    expect((await t.call('POST', '/v1/events', native(k, { who: 'alice' }), alice)).json()).toEqual({ id: mine.json().id, duplicate: true });
    // The backend's ingest key has its own namespace too.
    expect((await t.call('POST', '/v1/events', native(k, { who: 'alice' }), t.ingestKey)).json().duplicate).toBe(false);
  });
});

describe('CloudEvents source and id', () => {
  it('answers a re-sent event as a duplicate and a changed one with 409, in structured, binary and batch modes', async () => {
    const id = key();
    const first = await t.call('POST', '/v1/events', cloudEvent(id), t.ingestKey, CE);
    expect(first.statusCode).toBe(202);
    const binary = await t.call('POST', '/v1/events', { n: 1 }, t.ingestKey, { 'content-type': 'application/json', 'ce-specversion': '1.0', 'ce-id': id, 'ce-source': '/apps/notes', 'ce-type': 'note.added' });
    expect(binary.json()).toEqual({ id: first.json().id, duplicate: true });
    expectConflict(await t.call('POST', '/v1/events', cloudEvent(id, { n: 2 }), t.ingestKey, CE), '/idempotencykey');
    const batch = await t.call('POST', '/v1/events/batch', [cloudEvent(id), cloudEvent(id, { n: 9 })], t.ingestKey, CE_BATCH);
    expect(batch.json()).toMatchObject({ duplicates: 1, rejected: 1, results: [{ status: 'duplicate', id: first.json().id }, { status: 'rejected', error: { code: 'IDEMPOTENCY_CONFLICT' } }] });
  });

  it('does not share keys with native events or Segment messages', async () => {
    const k = key();
    const nativeRes = await t.call('POST', '/v1/events', native(k), t.ingestKey);
    const ce = await t.call('POST', '/v1/events', cloudEvent(key(), { n: 1 }, { idempotencykey: k }), t.ingestKey, CE);
    const seg = await segment('track', { userId: 'u1', event: 'Note Added', messageId: k }, t.ingestKey);
    expect([nativeRes.statusCode, ce.statusCode, seg.statusCode]).toEqual([202, 202, 200]);
    expect(new Set([nativeRes.json().id, ce.json().id, seg.json().id]).size).toBe(3);
    expect([ce.json().duplicate, seg.json().duplicate]).toEqual([false, false]);
  });
});

describe('Segment messageId', () => {
  it('answers a changed message with 409 and keeps members apart', async () => {
    const messageId = key();
    const body = { userId: 'alice', event: 'Video Played', messageId, properties: { videoId: 'v1' } };
    const first = await segment('track', body, alice);
    expect(first.statusCode).toBe(200);
    expect((await segment('track', { ...body, sentAt: new Date().toISOString() }, alice)).json()).toMatchObject({ id: first.json().id, duplicate: true });
    expectConflict(await segment('track', { ...body, properties: { videoId: 'v2' } }, alice), '/messageId');
    const batch = await segment('batch', { batch: [{ ...body, type: 'track' }, { ...body, type: 'track', event: 'Other' }] }, alice);
    expect(batch.json().results).toMatchObject([{ status: 'duplicate', id: first.json().id }, { status: 'rejected', error: { code: 'IDEMPOTENCY_CONFLICT', status: 409 } }]);
    const bobs = await segment('track', { ...body, userId: 'bob' }, bob);
    expect(bobs.json()).toMatchObject({ success: true, duplicate: false });
    expect(bobs.json().id).not.toBe(first.json().id);
  });
});

describe('tenant-wide keys and members\' keys', () => {
  // Regression test: an ingest key's `u:alice:<key>` was stored as Alice's `<key>`.
  it('an ingest key cannot spell a key in a member\'s scope, on any wire format', async () => {
    const k = key();
    const forged = await t.call('POST', '/v1/events', native(`u:alice:${k}`, { who: 'backend' }), t.ingestKey);
    expect(forged.statusCode).toBe(202);
    const hers = await t.call('POST', '/v1/events', native(k, { who: 'alice' }), alice);
    expect(hers.statusCode).toBe(202);
    expect(hers.json().duplicate).toBe(false);
    // With the very same body she gets an event of her own, not the backend's id.
    const same = await t.call('POST', '/v1/events', native(k, { who: 'backend' }), alice);
    expect(same.json().id).not.toBe(forged.json().id);

    const messageId = key();
    const body = { userId: 'alice', event: 'Video Played', properties: { videoId: 'v1' } };
    const backend = await segment('track', { ...body, messageId: `u:alice:${messageId}` }, t.ingestKey);
    expect(backend.statusCode).toBe(200);
    const mine = await segment('track', { ...body, messageId }, alice);
    expect(mine.json()).toMatchObject({ success: true, duplicate: false });
    expect(mine.json().id).not.toBe(backend.json().id);

    const ceKey = key();
    const ceBackend = await t.call('POST', '/v1/events', cloudEvent(key(), { n: 1 }, { idempotencykey: `u:alice:${ceKey}` }), t.ingestKey, CE);
    expect(ceBackend.statusCode).toBe(202);
    const ceMine = await t.call('POST', '/v1/events', cloudEvent(key(), { n: 1 }, { idempotencykey: ceKey }), alice, CE);
    expect(ceMine.statusCode).toBe(202);
    expect(ceMine.json().id).not.toBe(ceBackend.json().id);
  });
});
