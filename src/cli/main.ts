/**
 * The `eventrag` command: serve, worker, migrate, tenants, keys, replay, ingest, search, eval, demo.
 * Prints machine-readable output on stdout (a key alone, or JSON) and diagnostics on stderr.
 */
import { parseArgs } from 'node:util';
import { loadConfig, type Config } from '../config.js';
import { createBackends } from '../backends.js';
import { createApiKey } from '../identity/keys.service.js';
import { createLogger } from '../platform/logger.js';
import { logDestination } from '../platform/log-format.js';
import { isAppError } from '../platform/errors.js';
import { ROLES, type Role } from '../ports/store.port.js';
import type { SearchMode } from '../ports/search-index.port.js';
import type { LanguageSetting } from '../text/language.js';
import { DemoError } from './demo/demo.client.js';
import { explainStartupError } from './startup-errors.js';

// The server (and with it the feature list, whose migrations every store command runs), the
// evaluation harness and the demo loader are imported when a command needs them, so usage
// errors and `help` answer without loading them.
const loadApp = () => import('../main.js');

const USAGE = `usage: eventrag <command> [options]

  serve [--role all|api] [--port N]       start the server (default role: all = HTTP + consumers)
  worker [--consumers a,b] [--port N]     run consumers only (HTTP: /health/* and /metrics)
  migrate                                 apply database migrations
  tenants create <slug> [--name NAME]     create a tenant (idempotent); prints its JSON
  keys create --tenant SLUG --role admin|ingest|member [--user ID] [--name NAME]
                                          create an API key; prints the key alone
  replay --tenant SLUG --consumer NAME [--from ISO] [--to ISO] [--types a.*,b] [--user ID] [--dry-run]
  replay --consumer NAME --reset          (every tenant: the consumer reads the log again from the start)
                                          re-deliver events to a consumer; prints {"count":N}
  ingest --tenant SLUG [--file events.jsonl]
                                          append native events (one JSON object per line, stdin by
                                          default); prints {"accepted","duplicates","rejected","errors"}
  search --tenant SLUG --collections a,b [--mode hybrid] [--limit 10] <query>
                                          search collections; prints one JSON hit per line
  eval --dataset DIR [--split test] [--mode hybrid|lexical|dense] [--language auto|en|de] [--chunk-size N]
                                          index a BEIR dataset through the event log and print nDCG@10,
                                          Recall@100, MRR@10 (last line JSON)
  demo [--url http://localhost:3000] [--key KEY] [--tenant demo]
                                          load a sample shop into a running server through its API
                                          (idempotent); key: --key, EVENTRAG_ADMIN_KEY, or a short-lived
                                          one from the local store (same DATA_DIR / DATABASE_URL)

Configuration comes from the environment (see docs/configuration.md).`;

class UsageError extends Error {}

function fail(message: string): never {
  throw new UsageError(message);
}

async function withStore<T>(config: Config, work: (backends: Awaited<ReturnType<typeof createBackends>>) => Promise<T>): Promise<T> {
  const backends = await createBackends(config, createLogger('warn', 'eventrag', logDestination(config)), { providers: false });
  try {
    // Every feature's migrations too: on a database of an earlier release the backbone's only
    // migrate once the features have adopted their names from its table.
    const { migrationsOfFeatures } = await loadApp();
    await backends.store.migrate(migrationsOfFeatures(backends.store.dialect));
    return await work(backends);
  } finally {
    await backends.close();
  }
}

async function serve(config: Config, consumers?: string[]): Promise<void> {
  const [{ createApp }, { formatBanner, formatDemoKeys }] = await Promise.all([loadApp(), import('./banner.js')]);
  const app = await createApp(config);
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.logger.info({ signal }, 'shutting down');
    app.stop().then(() => process.exit(0), (error: unknown) => { app.logger.error({ err: error }, 'shutdown failed'); process.exit(1); });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  try {
    if (app.http) await app.http.listen({ port: config.PORT, host: config.HOST });
  } catch (error) {
    if (app.demo) process.stderr.write(formatDemoKeys(app)); // created once: never lost to a failed start
    await app.stop().catch(() => undefined);
    throw error;
  }
  await app.startWorkers(consumers);
  // Printed once the server is up and a signal stops it gracefully.
  process.stderr.write(formatBanner(app, app.http?.server.address() ?? null));
}

async function run(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      role: { type: 'string' }, port: { type: 'string' }, consumers: { type: 'string' }, tenant: { type: 'string' },
      user: { type: 'string' }, name: { type: 'string' }, consumer: { type: 'string' }, from: { type: 'string' },
      to: { type: 'string' }, types: { type: 'string' }, 'dry-run': { type: 'boolean' }, reset: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
      file: { type: 'string' }, collections: { type: 'string' }, limit: { type: 'string' },
      dataset: { type: 'string' }, split: { type: 'string' }, mode: { type: 'string' }, language: { type: 'string' }, 'chunk-size': { type: 'string' },
      url: { type: 'string' }, key: { type: 'string' },
    },
  });
  if (!command || values.help || ['help', '--help', '-h'].includes(command)) { process.stdout.write(`${USAGE}\n`); return; }
  const overrides: Record<string, unknown> = {};
  if (values.port) overrides.PORT = values.port;
  if (values.role) overrides.ROLE = values.role;
  switch (command) {
    case 'serve': {
      if (values.role && !['all', 'api'].includes(values.role)) fail('serve --role must be all or api (use `eventrag worker` for consumers only)');
      return serve(loadConfig(overrides));
    }
    case 'worker':
      return serve(loadConfig({ ...overrides, ROLE: 'worker' }), values.consumers?.split(',').map((c) => c.trim()).filter(Boolean));
    case 'migrate':
      return withStore(loadConfig({ DEMO_TENANT: false }), async () => { process.stderr.write('migrations are current\n'); });
    case 'tenants': {
      const slug = positionals[1];
      if (positionals[0] !== 'create' || !slug) fail('usage: eventrag tenants create <slug>');
      if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(slug)) fail('a tenant slug is lowercase letters, digits and dashes');
      return withStore(loadConfig(), async ({ store }) => {
        const { tenant, created } = await store.tenants.ensure(slug, values.name);
        process.stdout.write(`${JSON.stringify({ id: tenant.id, slug: tenant.slug, name: tenant.name, created })}\n`);
      });
    }
    case 'keys': {
      if (positionals[0] !== 'create') fail('usage: eventrag keys create --tenant SLUG --role ROLE');
      const role = values.role as Role | undefined;
      if (!values.tenant || !role || !ROLES.includes(role)) fail('keys create needs --tenant SLUG and --role admin|ingest|member');
      if (role === 'member' && !values.user) fail('a member key needs --user ID');
      return withStore(loadConfig({ DEMO_TENANT: false }), async ({ store }) => {
        const tenant = await store.tenants.bySlug(values.tenant!);
        if (!tenant) fail(`no tenant ${values.tenant}; create it with: eventrag tenants create ${values.tenant}`);
        const { key } = await createApiKey(store, { tenantId: tenant.id, role, userId: values.user ?? null, name: values.name ?? null });
        process.stdout.write(`${key}\n`);
      });
    }
    case 'replay':
      return replay(values);
    case 'ingest':
      if (!values.tenant) fail('ingest needs --tenant SLUG');
      return (await import('./data.commands.js')).ingestCommand(values.tenant, values.file);
    case 'search': {
      const query = positionals.join(' ').trim();
      if (!values.tenant || !values.collections || !query) fail('usage: eventrag search --tenant SLUG --collections a,b <query>');
      const mode = (values.mode ?? 'hybrid') as SearchMode;
      if (!['hybrid', 'lexical', 'dense'].includes(mode)) fail('--mode must be hybrid, lexical or dense');
      const limit = Number(values.limit ?? 10);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) fail('--limit must be an integer from 1 to 1000');
      return (await import('./data.commands.js')).searchCommand(values.tenant, query, values.collections.split(',').map((c) => c.trim()).filter(Boolean), mode, limit);
    }
    case 'eval': {
      if (!values.dataset) fail('eval needs --dataset DIR (a BEIR folder: corpus.jsonl, queries.jsonl, qrels/)');
      const mode = (values.mode ?? 'hybrid') as SearchMode;
      const language = (values.language ?? 'en') as LanguageSetting;
      if (!['hybrid', 'lexical', 'dense'].includes(mode)) fail('--mode must be hybrid, lexical or dense');
      if (!['auto', 'en', 'de'].includes(language)) fail('--language must be auto, en or de');
      const chunkSize = Number(values['chunk-size'] ?? 4000);
      if (!Number.isInteger(chunkSize) || chunkSize < 50) fail('--chunk-size must be an integer of at least 50');
      const { missingBeirFiles, runEvalCommand } = await import('./eval.command.js');
      const missing = missingBeirFiles(values.dataset, values.split ?? 'test');
      if (missing.length > 0) fail(`${values.dataset} is not a BEIR dataset folder: ${missing.join(', ')} missing`);
      return runEvalCommand({ dataset: values.dataset, split: values.split ?? 'test', mode, language, chunkSize });
    }
    case 'demo':
      return demo(values);
    default:
      fail(`unknown command ${command}\n\n${USAGE}`);
  }
}

/** `eventrag demo`: the server's URL defaults to this machine on the configured PORT. */
async function demo(values: Record<string, string | boolean | undefined>): Promise<void> {
  const config = loadConfig({ DEMO_TENANT: false, LOG_LEVEL: 'warn' });
  const url = (values.url as string | undefined) ?? `http://localhost:${config.PORT}`;
  if (!/^https?:\/\/[^/]+/.test(url)) fail('--url must be an http:// or https:// URL, e.g. http://localhost:3000');
  const key = (values.key as string | undefined) ?? (process.env.EVENTRAG_ADMIN_KEY || undefined);
  const { demoCommand } = await import('./demo/demo.command.js');
  return demoCommand(config, { url, key, tenant: (values.tenant as string | undefined) ?? 'demo' });
}

async function replay(values: Record<string, string | boolean | undefined>): Promise<void> {
  const tenantSlug = values.tenant as string | undefined;
  const consumer = values.consumer as string | undefined;
  if (values.reset) return resetPosition(consumer);
  if (!tenantSlug || !consumer) fail('replay needs --tenant SLUG and --consumer NAME');
  const parseTime = (name: 'from' | 'to') => {
    const value = values[name] as string | undefined;
    if (value === undefined) return undefined;
    const ms = Date.parse(value);
    if (Number.isNaN(ms)) fail(`--${name} must be an ISO 8601 time`);
    return ms;
  };
  const selection = {
    from: parseTime('from'), to: parseTime('to'),
    types: (values.types as string | undefined)?.split(',').map((t) => t.trim()).filter(Boolean),
    userId: values.user as string | undefined,
  };
  const { createApp } = await loadApp();
  const app = await createApp(loadConfig({ ROLE: 'worker', DEMO_TENANT: false, LOG_LEVEL: 'warn' }));
  try {
    const tenant = await app.backends.store.tenants.bySlug(tenantSlug);
    if (!tenant) fail(`no tenant ${tenantSlug}`);
    const result = values['dry-run']
      ? { count: await app.replay.count(tenant.id, consumer, selection) }
      : await app.replay.replay(tenant.id, consumer, selection);
    process.stdout.write(`${JSON.stringify({ ...result, dryRun: Boolean(values['dry-run']) })}\n`);
  } finally {
    await app.stop();
  }
}

/** `replay --consumer NAME --reset`: every partition of the consumer goes back to the start of the log (all tenants). */
async function resetPosition(consumer: string | undefined): Promise<void> {
  if (!consumer) fail('replay --reset needs --consumer NAME');
  const { createApp } = await loadApp();
  const app = await createApp(loadConfig({ ROLE: 'worker', DEMO_TENANT: false, LOG_LEVEL: 'warn' }));
  try {
    const reset = await app.replay.resetPosition(consumer);
    process.stdout.write(`${JSON.stringify(reset)}\n`);
  } finally {
    await app.stop();
  }
}

run(process.argv.slice(2)).catch((error: unknown) => {
  const explained = explainStartupError(error);
  if (explained) process.stderr.write(`eventrag: ${explained}\n`);
  else if (error instanceof UsageError || error instanceof DemoError || isAppError(error)) process.stderr.write(`eventrag: ${error.message}\n`);
  else process.stderr.write(`eventrag: ${(error as Error).stack ?? String(error)}\n`);
  // Exit now: a failed start may leave connection attempts (reconnect timers) that would keep the process alive.
  process.exit(error instanceof UsageError ? 2 : 1);
});
