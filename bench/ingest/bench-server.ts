/**
 * The ingest bench's server: `eventrag serve` (or `worker` with --role worker) as the CLI starts
 * it, plus N−1 synthetic projections on `*` (bench/ingest/counting.consumers.ts) registered
 * through createApp's `consumers` option, so N durable consumers on `*` with the real `stats`.
 * On SQLite it counts the server's writes and answers them as JSON on --stats-port.
 *
 *   node --import tsx bench/ingest/bench-server.ts --consumers 6 [--stats-port 4001] [--role all|worker]
 */
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { countingConsumer, createCountTables } from './counting.consumers.js';
import { countSqliteWrites, sqliteWrites } from './sqlite-writes.js';

const { values } = parseArgs({ options: { consumers: { type: 'string', default: '1' }, 'stats-port': { type: 'string' }, role: { type: 'string', default: 'all' } } });
const n = Number(values.consumers);
if (!Number.isInteger(n) || n < 1) throw new Error('--consumers must be a positive integer');
countSqliteWrites(); // before the store opens its connection

const { loadConfig } = await import('../../src/config.js');
const { createApp } = await import('../../src/main.js');
const config = loadConfig({ ROLE: values.role });
const app = await createApp(config, { consumers: Array.from({ length: n - 1 }, (_, i) => () => countingConsumer(i + 1)) });
await createCountTables(app.backends.store.db, n);

if (values['stats-port']) {
  const stats = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(sqliteWrites())));
  await new Promise<void>((resolve) => stats.listen(Number(values['stats-port']), '127.0.0.1', resolve));
  stats.unref();
}
process.on('SIGTERM', () => void app.stop().then(() => process.exit(0), () => process.exit(1)));
// The same lines as the CLI's banner (the bench reads the demo keys), before the server answers.
if (app.demo) process.stderr.write(`admin key : ${app.demo.adminKey}\ningest key: ${app.demo.ingestKey}\n`);
await app.startWorkers();
if (app.http) await app.http.listen({ port: config.PORT, host: config.HOST });
