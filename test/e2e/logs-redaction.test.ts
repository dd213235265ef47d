/**
 * Credentials never reach the log (regression test for `?access_token=` on /v1/stream and /v1/ws
 * logged in plain text with the request URL, and for keys that slipped past the patterns: after
 * `%20`, percent-encoded, under names such as `?authorization=`). A real server logs at
 * info level to a file; requests carry keys and JWTs in the query, in headers, and invalid ones;
 * the file holds the requests, but none of the credentials.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { get, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { destination as pinoDestination } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createApiKey } from '../../src/identity/keys.service.js';
import { createLogger } from '../../src/platform/logger.js';
import { startTestApp, type TestApp } from '../helpers/app.js';

const SECRET = 'a-test-secret-that-is-long-enough-0123456789';
const dir = mkdtempSync(join(tmpdir(), 'eventrag-logs-'));
const logFile = join(dir, 'server.log');
let t: TestApp;
let base: string;
let memberKey: string;
let token: string;

/** Every character as `%XX`. */
const encodeAll = (text: string) => [...Buffer.from(text)].map((byte) => `%${byte.toString(16).toUpperCase().padStart(2, '0')}`).join('');

/** Opens a GET and closes it as soon as the status line arrives (streams never end by themselves). */
function touch(path: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = get(`${base}${path}`, { headers }, (res: IncomingMessage) => { resolve(res.statusCode ?? 0); res.destroy(); request.destroy(); });
    request.on('error', reject);
  });
}

beforeAll(async () => {
  const destination = pinoDestination({ dest: logFile, sync: true });
  t = await startTestApp({ LOG_LEVEL: 'info', JWT_SECRET: SECRET }, { logger: createLogger('info', 'eventrag', destination) });
  await t.app.http!.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(t.app.http!.server.address() as { port: number }).port}`;
  const demo = (await t.app.backends.store.tenants.bySlug('demo'))!;
  memberKey = (await createApiKey(t.app.backends.store, { tenantId: demo.id, role: 'member', userId: 'alice' })).key;
  token = await new SignJWT({ tenant: 'demo', sub: 'alice' }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('5m').sign(new TextEncoder().encode(SECRET));
});
afterAll(async () => {
  await t.close();
  rmSync(dir, { recursive: true, force: true });
});

it('logs requests with their URLs, but never a key or token, valid or not', async () => {
  const badKey = 'er_admin_NotAValidKeyButStillASecret0123';
  expect(await touch(`/v1/stream?types=page.*&access_token=${memberKey}`)).toBe(200);
  expect(await touch(`/v1/stream?access_token=${token}`)).toBe(200);
  await touch(`/v1/ws?access_token=${memberKey}`);
  expect(await touch(`/v1/stream?access_token=${badKey}`)).toBe(401);
  expect(await touch(`/v1/tenant?token=${memberKey}&writeKey=${t.ingestKey}`, { authorization: `Bearer ${t.adminKey}` })).toBe(200);
  expect(await touch('/v1/events', { authorization: `Bearer ${badKey}` })).toBe(401);
  expect(await touch('/v1/events', { authorization: `Basic ${Buffer.from(`${t.ingestKey}:`).toString('base64')}` })).toBe(403);
  expect(await touch(`/v1/nope?api_key=${t.adminKey}`, { cookie: `session=${t.adminKey}`, 'x-api-key': t.adminKey })).toBe(404);
  expect(await touch(`/v1/events/%E0%A4%A?access_token=${t.adminKey}`)).toBe(400);
  const res = await fetch(`${base}/v1/track`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ writeKey: badKey, userId: 'u', event: 'X' }) });
  expect(res.status).toBe(401);
  // A body that is not JSON: the parser's message quotes it, the log line must not.
  const broken = await fetch(`${base}/v1/track`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: `{"writeKey": "${t.ingestKey}", oops` });
  expect(broken.status).toBe(400);
  // Keys hidden from a plain pattern: after an encoded space, percent-encoded (once, twice, every
  // character), under parameter names no list of credential names has, in a path segment.
  const admin = { authorization: `Bearer ${t.adminKey}` };
  const hidden = [
    `/v1/events?x=Bearer%20${memberKey}`,
    `/v1/events?authorization=Bearer%20${token}`,
    `/v1/events?client_secret=${memberKey.replace('_', '%5F')}`,
    `/v1/events?x=${memberKey.replace('_', '%255F')}`,
    `/v1/events?credentials=${encodeAll(memberKey)}`,
    `/v1/events?limit=5&type=${memberKey}`,
    `/v1/events/${memberKey}`,
    `/v1/events/${encodeAll(token)}?bearer=${token}`,
  ];
  for (const path of hidden) expect(await touch(path, admin)).toBeLessThan(500);
  expect(await touch('/v1/events?limit=7&type=page.*', admin)).toBe(200);
  await new Promise((resolve) => setTimeout(resolve, 200)); // "request completed" of the closed streams

  const log = readFileSync(logFile, 'utf8');
  expect(log).toContain('incoming request');
  expect(log).toContain('/v1/stream?types=page.*&access_token=[redacted]');
  expect(log).toContain('request rejected');
  for (const secret of [memberKey, token, badKey, t.adminKey, t.ingestKey]) expect(log).not.toContain(secret);
  for (const part of [memberKey.slice(-16), token.split('.')[2]!, badKey.slice(-16), t.adminKey.slice(-16), t.ingestKey.slice(-16)]) expect(log).not.toContain(part);
  for (const encoded of [encodeAll(memberKey), encodeAll(token)]) expect(log).not.toContain(encoded.slice(-48));
  // The API's own parameters are still logged; other values by name only.
  expect(log).toContain('/v1/events?limit=7&type=page.*');
  expect(log).toContain('/v1/events?x=[redacted]');
  expect(log).toContain('/v1/events?authorization=[redacted]');
  expect(log).toContain('/v1/events/[redacted]');
});
