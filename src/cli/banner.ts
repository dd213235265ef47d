/**
 * What `eventrag serve` prints once it listens: where, where the data lives, which backends it
 * runs on, where the docs are, and — on the first start only — the demo tenant's keys.
 */
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import type { App } from '../main.js';
import { maskUrl } from '../platform/startup.js';

const NAMES: Record<string, string> = {
  sqlite: 'SQLite', postgres: 'PostgreSQL', local: 'in-process', nats: 'NATS JetStream', memory: 'in-memory', redis: 'Redis',
};
const name = (kind: string) => NAMES[kind] ?? kind;
const row = (label: string, value: string) => `    ${label.padEnd(9)} ${value}`;

/** The URL a browser on this machine uses: wildcard addresses become localhost. */
export function localUrl(address: AddressInfo | string | null, host: string): string {
  if (!address || typeof address === 'string') return `http://${host}`;
  const wildcard = ['0.0.0.0', '::', ''].includes(host);
  const shown = wildcard ? 'localhost' : address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${shown}:${address.port}`;
}

function dataLines(app: App): string[] {
  const { config } = app;
  const dataDir = resolve(config.DATA_DIR);
  const lines: string[] = [];
  if (config.DATABASE_URL) {
    const schema = config.DATABASE_SCHEMA ? ` (schema ${config.DATABASE_SCHEMA})` : '';
    lines.push(row('Data', `PostgreSQL ${maskUrl(config.DATABASE_URL)}${schema}`));
    if (!config.QDRANT_URL) lines.push(row('', `search index in ${dataDir}`));
  } else {
    lines.push(row('Data', `${dataDir} (SQLite database eventrag.db${config.QDRANT_URL ? '' : ', search index'})`));
  }
  return lines;
}

function backendLine(app: App): string {
  const d = app.backends.describe;
  const index = app.config.QDRANT_URL ? 'Qdrant' : 'embedded';
  const realtime = { local: 'in-process', nats: 'NATS', redis: 'Redis pub/sub' }[d.broadcast] ?? d.broadcast;
  return row('Backends', `store ${name(d.store)} · publish ${d.publisher === 'none' ? 'off' : name(d.publisher)} · cache ${name(d.cache)} · realtime ${realtime} · search ${index}`);
}

function demoLines(app: App): string[] {
  if (!app.demo) return [];
  return [
    '',
    `  Created tenant "${app.demo.tenant}". These keys are shown once; keep them:`,
    `    admin key : ${app.demo.adminKey}`,
    `    ingest key: ${app.demo.ingestKey}`,
    '',
    '  Sample data to explore: run `npm run demo` (or `node bin/eventrag demo`) in a second terminal.',
  ];
}

/** The banner of a server that listens on `address`. */
export function formatBanner(app: App, address: AddressInfo | string | null): string {
  const url = localUrl(address, app.config.HOST);
  const worker = app.config.ROLE === 'worker';
  const role = { all: 'HTTP API and consumers', api: 'HTTP API only', worker: 'consumers; HTTP serves health and metrics only' }[app.config.ROLE];
  const lines = [
    '',
    `  eventrag is running (role ${app.config.ROLE}: ${role})`,
    worker ? row('Health', `${url}/health/ready · ${url}/metrics`) : row('API', url),
    ...(worker ? [] : [row('Docs', `${url}/docs`)]),
    ...dataLines(app),
    backendLine(app),
    row('Models', `embedder ${app.config.EMBEDDER} · generator ${app.config.GENERATOR}`),
    ...demoLines(app),
    '',
  ];
  return `${lines.join('\n')}\n`;
}

/** The first start's keys alone (when the server could not start listening, they are still shown once). */
export function formatDemoKeys(app: App): string {
  return demoLines(app).slice(0, 4).join('\n') + '\n';
}
