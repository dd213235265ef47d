/**
 * A member writes events about their own user only, on every entry point of the event API
 * (native, CloudEvents structured / binary / batch): another user id answers 403
 * AUTH_FORBIDDEN_USER naming the wire format's own field, per item in batches, and nothing is stored.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../src/identity/keys.service.js';
import { startTestApp, type TestApp } from '../helpers/app.js';

let t: TestApp;
let alice: string;
beforeAll(async () => {
  t = await startTestApp();
  const store = t.app.backends.store;
  alice = (await createApiKey(store, { tenantId: (await store.tenants.bySlug('demo'))!.id, role: 'member', userId: 'alice' })).key;
});
afterAll(async () => { await t.close(); });

const cloudEvent = (id: string, extra: object = {}) => ({ specversion: '1.0', id, source: '/apps/notes', type: 'note.added', data: { n: 1 }, ...extra });
const forbidden = (pointer: string) => ({ code: 'AUTH_FORBIDDEN_USER', status: 403, errors: [{ pointer }] });
const bobsEvents = async () => (await t.call('GET', '/v1/events?userId=bob')).json().items;

describe('a member on /v1/events', () => {
  it('may not name another user in any content mode', async () => {
    const nativeRes = await t.call('POST', '/v1/events', { type: 'note.added', userId: 'bob', data: {} }, alice);
    expect(nativeRes.statusCode).toBe(403);
    expect(nativeRes.json()).toMatchObject(forbidden('/userId'));
    const structured = await t.call('POST', '/v1/events', cloudEvent('m-1', { userid: 'bob' }), alice, { 'content-type': 'application/cloudevents+json' });
    expect(structured.statusCode).toBe(403);
    expect(structured.json()).toMatchObject(forbidden('/userid'));
    const binary = await t.call('POST', '/v1/events', { n: 1 }, alice, {
      'content-type': 'application/json', 'ce-specversion': '1.0', 'ce-id': 'm-2', 'ce-source': '/apps/notes', 'ce-type': 'note.added', 'ce-userid': 'bob',
    });
    expect(binary.statusCode).toBe(403);
    expect(binary.json()).toMatchObject(forbidden('/userid'));
    expect(await bobsEvents()).toEqual([]);
  });

  it('gets such items rejected one by one in batches, and its own stored under its user id', async () => {
    const nativeBatch = await t.call('POST', '/v1/events/batch', [{ type: 'note.added', data: {} }, { type: 'note.added', userId: 'bob', data: {} }], alice);
    expect(nativeBatch.json()).toMatchObject({ accepted: 1, rejected: 1, results: [{ status: 'accepted' }, { status: 'rejected', error: forbidden('/userId') }] });
    const ceBatch = await t.call('POST', '/v1/events/batch', [cloudEvent('m-3', { userid: 'alice' }), cloudEvent('m-4', { userid: 'bob' })], alice, { 'content-type': 'application/cloudevents-batch+json' });
    expect(ceBatch.json()).toMatchObject({ accepted: 1, rejected: 1, results: [{ status: 'accepted' }, { status: 'rejected', error: forbidden('/userid') }] });
    const own = (await t.call('GET', `/v1/events/${nativeBatch.json().results[0].id}`)).json();
    expect(own.userId).toBe('alice');
    expect(await bobsEvents()).toEqual([]);
  });
});
