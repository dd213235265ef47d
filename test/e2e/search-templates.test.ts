/**
 * Collections made from a template keep the template's settings unless the body gives a field,
 * and index the template's events. Regression tests for "templates lose their settings".
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestApp, type TestApp } from '../helpers/app.js';

let t: TestApp;
let templates: Array<{ name: string; settings: Record<string, unknown> & { sources: Array<{ type: string; op: string; idField: string }> } }>;
beforeAll(async () => {
  t = await startTestApp();
  templates = (await t.call('GET', '/v1/collections/templates')).json().items;
});
afterAll(async () => { await t.close(); });

/** Data for one event of `type` that the template indexes, with its document id. */
const SAMPLES: Record<string, { data: Record<string, unknown>; id?: string }> = {
  'article.created': { data: { articleId: 'tpl-a1', name: 'Template drill', description: 'Indexed from its template' }, id: 'tpl-a1' },
  'customer.created': { data: { customerId: 'tpl-c1', name: 'Template customer', notes: 'Indexed from its template' }, id: 'tpl-c1' },
  'query.executed': { data: { query: 'indexed from its template' } },
  'message.sent': { data: { channel: 'chat', messageId: 'tpl-m1', text: 'indexed from its template' }, id: 'tpl-m1' },
};

describe('collections from templates', () => {
  it('lists the five templates', () => {
    expect(templates.map((x) => x.name).sort()).toEqual(['articles', 'chat-messages', 'customers', 'policies', 'user-events']);
  });

  it('a collection created from each template has the template\'s settings and indexes its events', async () => {
    for (const template of templates) {
      const name = `kb-${template.name}`;
      const created = await t.call('POST', '/v1/collections', { name, template: template.name });
      expect(created.statusCode, name).toBe(201);
      const { metadata, sources, chunking, textFields, language, scope } = created.json();
      expect({ metadata, sources, chunking, textFields, language, scope }, name).toEqual({
        metadata: template.settings.metadata, sources: template.settings.sources, chunking: template.settings.chunking,
        textFields: template.settings.textFields, language: template.settings.language, scope: template.settings.scope,
      });
      const upsert = template.settings.sources.find((s) => s.op === 'upsert');
      if (!upsert) {
        // policies has no event sources: its documents come through the documents API.
        expect((await t.call('PUT', `/v1/collections/${name}/documents/p1?wait=true`, { title: 'Leave', body: 'Thirty days' })).statusCode).toBe(200);
        continue;
      }
      const sample = SAMPLES[upsert.type]!;
      const event = await t.call('POST', '/v1/events', { type: upsert.type, userId: 'u1', data: sample.data }, t.ingestKey);
      expect(event.statusCode, name).toBe(202);
      const documentId = sample.id ?? event.json().id;
      await eventually(async () => (await t.call('GET', `/v1/collections/${name}/documents/${documentId}`)).statusCode === 200);
      expect((await t.call('GET', `/v1/collections/${name}`)).json().stats.documents, name).toBe(1);
    }
  });

  it('fields in the body replace the template\'s, the others stay', async () => {
    const res = await t.call('POST', '/v1/collections', { name: 'kb-custom', template: 'user-events', chunking: { size: 900 }, language: 'en' });
    const template = templates.find((x) => x.name === 'user-events')!;
    expect(res.json()).toMatchObject({
      chunking: { size: 900, overlap: 0, markdown: false }, language: 'en',
      metadata: template.settings.metadata, sources: template.settings.sources, scope: 'user',
    });
  });

  it('a PATCH keeps every setting it does not name', async () => {
    const before = (await t.call('GET', '/v1/collections/kb-user-events')).json();
    const patched = await t.call('PATCH', '/v1/collections/kb-user-events', { titleField: 'title' });
    expect(patched.statusCode).toBe(200);
    expect(patched.json()).toMatchObject({ metadata: before.metadata, sources: before.sources, chunking: before.chunking, scope: 'user', titleField: 'title' });
  });

  it('an event whose document id is over 256 characters indexes nothing and does not fail', async () => {
    const before = (await t.call('GET', '/v1/collections/kb-articles')).json().stats.documents;
    const event = await t.call('POST', '/v1/events', { type: 'article.created', data: { articleId: 'a'.repeat(300), name: 'Long id' } }, t.ingestKey);
    expect(event.statusCode).toBe(202);
    await eventually(async () => (await t.call('GET', `/v1/events/${event.json().id}`)).json().deliveries.find((d: { consumer: string }) => d.consumer === 'indexer')?.status === 'done');
    expect((await t.call('GET', '/v1/collections/kb-articles')).json().stats.documents).toBe(before);
  });

  it('a per-user collection always has its owner as string metadata', async () => {
    const custom = await t.call('POST', '/v1/collections', { name: 'notes', textFields: ['text'], scope: 'user' });
    expect(custom.json().metadata).toEqual({ userId: 'string' });
    const wrong = await t.call('POST', '/v1/collections', { name: 'notes2', textFields: ['text'], scope: 'user', metadata: { userId: 'number' } });
    expect(wrong.statusCode).toBe(400);
    expect(wrong.json().code).toBe('VALIDATION_FAILED');
  });
});
