/**
 * `eventrag demo`: loads the sample shop into a tenant through the public HTTP API of a running
 * server. Idempotent: events carry idempotency keys and fixed times (anchored on the tenant's
 * creation), documents are compared before they are written, and once the last event (the
 * low-stock alert) is in the log the events are not sent again.
 *
 * The key: `--key`, else EVENTRAG_ADMIN_KEY, else a short-lived admin key of the tenant `demo`
 * created in the local store (same DATA_DIR / DATABASE_URL as the server) and revoked at the end.
 */
import { isDeepStrictEqual } from 'node:util';
import { createBackends } from '../../backends.js';
import type { Config } from '../../config.js';
import { createApiKey } from '../../identity/keys.service.js';
import { createLogger } from '../../platform/logger.js';
import { demoEvents, DEMO_USERS, lowStockEvent, type DemoEvent } from './demo.activity.js';
import { ARTICLES, CUSTOMERS, POLICIES } from './demo.catalog.js';
import { ApiClient, DemoError, problemDetail } from './demo.client.js';
import { nextSteps } from './demo.next-steps.js';

export interface DemoOptions {
  url: string;
  /** From --key or EVENTRAG_ADMIN_KEY; absent = a short-lived key from the local store. */
  key?: string | undefined;
  tenant: string;
  /** How long to wait for the consumers to apply the events. */
  settleTimeoutMs?: number;
}

const POLICY_COLLECTION = 'policies';
const BATCH = 500;

const progress = (line: string) => process.stderr.write(`${line}\n`);

/** A short-lived admin key of `slug`, created in the store this configuration points at. */
async function localAdminKey(config: Config, slug: string): Promise<{ key: string; id: string }> {
  const backends = await createBackends(config, createLogger('warn'), { providers: false });
  try {
    const { migrationsOfFeatures } = await import('../../main.js');
    await backends.store.migrate(migrationsOfFeatures(backends.store.dialect));
    const tenant = await backends.store.tenants.bySlug(slug);
    const where = config.DATABASE_URL ? 'the PostgreSQL store of DATABASE_URL' : `DATA_DIR ${config.DATA_DIR}`;
    if (!tenant) throw new DemoError(`no tenant "${slug}" in ${where}: start the server there first (npm start), or pass --key (or EVENTRAG_ADMIN_KEY)`);
    const { key, record } = await createApiKey(backends.store, { tenantId: tenant.id, role: 'admin', name: 'demo loader (revoked after the run)' });
    return { key, id: record.id };
  } finally {
    await backends.close();
  }
}

async function checkKey(api: ApiClient, local: boolean): Promise<{ slug: string; createdAt: string }> {
  const response = await api.request('GET', '/v1/tenant');
  if (response.status === 401 || response.status === 403) {
    throw new DemoError(local
      ? `the server at ${api.baseUrl} does not know the key created in this folder's store: is it running on another DATA_DIR or DATABASE_URL? Pass --key with an admin key`
      : `the server at ${api.baseUrl} refused the key (${problemDetail(response.body)}): pass an admin key with --key or EVENTRAG_ADMIN_KEY`);
  }
  if (response.status !== 200) throw new DemoError(`GET /v1/tenant answered ${response.status}: ${problemDetail(response.body)}`);
  return response.body as { slug: string; createdAt: string };
}

async function ensurePolicies(api: ApiClient): Promise<{ written: number; unchanged: number }> {
  await api.expect('POST', '/v1/collections', { name: POLICY_COLLECTION, template: 'policies' }, [201, 409]);
  let written = 0;
  for (const { id, ...fields } of POLICIES) {
    const path = `/v1/collections/${POLICY_COLLECTION}/documents/${id}`;
    const current = await api.request('GET', path);
    if (current.status === 200 && isDeepStrictEqual(current.body.fields, fields)) continue;
    await api.expect('PUT', path, fields);
    written++;
  }
  return { written, unchanged: POLICIES.length - written };
}

/** True when the last event of the set (the low-stock alert at its fixed time) is in the log. */
async function alreadyLoaded(api: ApiClient, anchorMs: number): Promise<boolean> {
  const last = lowStockEvent(anchorMs);
  const { body } = await api.expect('GET', `/v1/events?type=${last.type}&limit=1000`);
  return (body.items as Array<{ time: string; data: { articleId?: string } }>)
    .some((e) => Date.parse(e.time) === Date.parse(last.time) && e.data?.articleId === last.data.articleId);
}

async function sendEvents(api: ApiClient, events: DemoEvent[]): Promise<{ accepted: number; duplicates: number }> {
  let accepted = 0;
  let duplicates = 0;
  for (let i = 0; i < events.length; i += BATCH) {
    const { body } = await api.expect('POST', '/v1/events/batch', { events: events.slice(i, i + BATCH) });
    const rejected = (body.results as Array<{ status: string; index: number; error?: { code: string; detail: string } }>).find((r) => r.status === 'rejected');
    if (rejected) throw new DemoError(`event ${i + rejected.index} was rejected: ${rejected.error?.code}: ${rejected.error?.detail}`);
    accepted += body.accepted;
    duplicates += body.duplicates;
    progress(`  events: ${Math.min(i + BATCH, events.length)} of ${events.length} sent`);
  }
  return { accepted, duplicates };
}

/** Waits until the durable consumers (indexer, stats) have applied everything, or the timeout. */
async function settle(api: ApiClient, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  let reported = -1;
  for (;;) {
    const { body } = await api.expect('GET', '/v1/consumers');
    const lag = (body.items as Array<{ delivery: string; lagEvents: number }>).filter((c) => c.delivery === 'durable').reduce((sum, c) => sum + c.lagEvents, 0);
    if (lag === 0) return true;
    if (Date.now() > deadline) return false;
    if (reported < 0 || reported - lag >= 1000) { progress(`  consumers: ${lag} deliveries to go`); reported = lag; }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

export async function demoCommand(config: Config, options: DemoOptions): Promise<void> {
  const local = options.key ? null : await localAdminKey(config, options.tenant);
  const api = new ApiClient(options.url, options.key ?? local!.key);
  try {
    const tenant = await checkKey(api, Boolean(local));
    const anchorMs = Math.floor(Date.parse(tenant.createdAt) / 60_000) * 60_000;
    progress(`Loading the sample shop into tenant "${tenant.slug}" at ${options.url}`);
    const policies = await ensurePolicies(api);
    const events = demoEvents(anchorMs);
    const loaded = await alreadyLoaded(api, anchorMs);
    const sent = loaded ? { accepted: 0, duplicates: 0 } : await sendEvents(api, events);
    if (loaded) progress('  events: already in the log, none sent');
    const settled = await settle(api, options.settleTimeoutMs ?? 120_000);
    if (!settled) progress('  consumers are still applying events; search results fill in as they catch up');
    const orders = events.filter((e) => e.type === 'order.placed').length;
    process.stdout.write(nextSteps({
      url: options.url, tenant: tenant.slug, articles: ARTICLES.length, customers: CUSTOMERS.length, policies: POLICIES.length,
      users: DEMO_USERS, events: events.length, orders, accepted: sent.accepted, duplicates: sent.duplicates, alreadyLoaded: loaded, ...policies,
    }));
  } finally {
    if (local) await api.request('DELETE', `/v1/keys/${local.id}`).catch(() => undefined);
  }
}
