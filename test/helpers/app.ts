/**
 * Starts a real eventrag app on a fresh SQLite file (or the given backends) for a test file, with
 * a demo tenant, its admin and ingest keys, and helpers to call the HTTP API through `inject`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { loadConfig, type Config } from '../../src/config.js';
import { createApiKey } from '../../src/identity/keys.service.js';
import { createApp, type App, type CreateAppOptions } from '../../src/main.js';
import { createLogger } from '../../src/platform/logger.js';

export interface TestApp {
  app: App;
  config: Config;
  dataDir: string;
  adminKey: string;
  ingestKey: string;
  /** Calls the API; `key` defaults to the admin key (pass null for no credentials). */
  call(method: InjectOptions['method'], url: string, body?: unknown, key?: string | null, headers?: Record<string, string>): Promise<LightMyRequestResponse>;
  /** Creates a member key of the demo tenant bound to `userId`. */
  memberKey(userId: string): Promise<string>;
  close(): Promise<void>;
}

/** An existing data directory (or database, via DATABASE_URL) and its keys, e.g. an upgrade fixture's. */
export interface ExistingData {
  dataDir: string;
  adminKey: string;
  ingestKey: string;
}

/** `existing`: start on that data instead of a fresh one (it is removed on close too). */
export async function startTestApp(overrides: Record<string, unknown> = {}, options: CreateAppOptions = {}, existing?: ExistingData): Promise<TestApp> {
  const dataDir = existing?.dataDir ?? mkdtempSync(join(tmpdir(), 'eventrag-test-'));
  const config = loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'silent', CONSUMER_POLL_MS: 50, CONSUMER_BACKOFF_BASE_MS: 20, ...overrides }, {});
  const app = await createApp(config, { logger: createLogger(config.LOG_LEVEL), ...options });
  if (!app.demo && !existing) throw new Error('the test app should have created the demo tenant');
  await app.http?.ready();
  await app.startWorkers();
  const { adminKey, ingestKey } = existing ?? app.demo!;
  return {
    app, config, dataDir, adminKey, ingestKey,
    call(method, url, body, key = adminKey, headers = {}) {
      return app.http!.inject({
        method, url,
        headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...headers },
        ...(body === undefined ? {} : { payload: body as InjectOptions['payload'] }),
      });
    },
    async memberKey(userId) {
      const tenant = (await app.backends.store.tenants.bySlug('demo'))!;
      return (await createApiKey(app.backends.store, { tenantId: tenant.id, role: 'member', userId })).key;
    },
    async close() {
      await app.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Polls `check` until it returns a truthy value or the time runs out (then throws). */
export async function eventually<T>(check: () => Promise<T | undefined | null | false>, timeoutMs = 10_000, everyMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
