/**
 * NATS test helpers: settings for an isolated publisher per test run, reading what reached a
 * stream (as another service would), stream clean-up, and a private nats-server process for
 * outage tests. Outage tests stop and start their own server (same
 * binary as the shared one on 4222), so suites running in parallel on the shared server are not
 * disturbed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeliverPolicy, jetstream, jetstreamManager, PubHeaders } from '@nats-io/jetstream';
import { connect as natsConnect } from '@nats-io/transport-node';
import type { NatsBusConfig } from '../../src/adapters/bus/nats/nats.publisher.js';
import { natsUrl } from './services.js';

/** The nats-server binary of the development machines. */
export const NATS_SERVER_BINARY = process.env.NATS_SERVER_BIN ?? '/usr/sbin/nats-server';

/** True when outage tests can start their own nats-server here. */
export const canSpawnNatsServer = existsSync(NATS_SERVER_BINARY);

/** Settings for a NATS publisher isolated to one test run (own stream and subject prefix), with short timings. */
export function testNatsConfig(run: string, url = natsUrl()): NatsBusConfig & { stream: string; subjectPrefix: string } {
  return { url, stream: `T_${run}`, subjectPrefix: `t${run}`, publishTimeoutMs: 1_000, reconnectWaitMs: 200 };
}

/** One message of a stream as a subscriber sees it. */
export interface StreamMessage {
  subject: string;
  /** The `Nats-Msg-Id` header the publisher set. */
  msgId: string | undefined;
  headers: Record<string, string>;
  data: string;
  streamSeq: number;
}

/**
 * Every message a stream holds on `filter` (default all), read the way another service would:
 * through a consumer (an ordered, ephemeral one) created on the stream, from its first message.
 */
export async function readStream(stream: string, options: { url?: string; filter?: string; maxMessages?: number } = {}): Promise<StreamMessage[]> {
  const nc = await natsConnect({ servers: options.url ?? natsUrl() });
  try {
    const consumer = await jetstream(nc).consumers.get(stream, { filter_subjects: options.filter ?? '>', deliver_policy: DeliverPolicy.All });
    const out: StreamMessage[] = [];
    const max = options.maxMessages ?? 100_000;
    // Until the consumer says nothing is pending (or a fetch comes back empty: the stream holds nothing).
    for (let pending = 1; pending > 0 && out.length < max;) {
      const before = out.length;
      for await (const message of await consumer.fetch({ max_messages: 500, expires: 1_000 })) {
        const headers: Record<string, string> = {};
        for (const [key, values] of message.headers ?? []) headers[key] = values.join(',');
        out.push({ subject: message.subject, msgId: message.headers?.get(PubHeaders.MsgIdHdr) || undefined, headers, data: message.string(), streamSeq: message.seq });
        pending = message.info.pending;
        if (pending === 0) break;
      }
      if (out.length === before) break;
    }
    return out;
  } finally {
    await nc.close();
  }
}

/** Deletes a test stream (and its consumers). */
export async function deleteStream(stream: string, url = natsUrl()): Promise<void> {
  const nc = await natsConnect({ servers: url });
  try {
    await (await jetstreamManager(nc)).streams.delete(stream).catch(() => false);
  } finally {
    await nc.close();
  }
}

export interface NatsServerProcess {
  url: string;
  /** Stops the server (SIGTERM) and waits until its port is closed. */
  stop(): Promise<void>;
  /** Starts it again on the same port and JetStream directory; waits until it accepts connections. */
  start(): Promise<void>;
  /** Stops it for good and removes its JetStream directory. */
  dispose(): Promise<void>;
}

/** Starts a private nats-server with JetStream on a free port. */
export async function spawnNatsServer(): Promise<NatsServerProcess> {
  const port = await freePort();
  const storeDir = mkdtempSync(join(tmpdir(), 'eventrag-nats-'));
  let child: ChildProcess | undefined;
  const start = async () => {
    if (child) return;
    child = spawn(NATS_SERVER_BINARY, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', storeDir], { stdio: 'ignore' });
    await waitForPort(port, true);
  };
  const stop = async () => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill('SIGTERM');
    await exited;
    await waitForPort(port, false);
  };
  await start();
  return {
    url: `nats://127.0.0.1:${port}`,
    start,
    stop,
    async dispose() {
      await stop();
      rmSync(storeDir, { recursive: true, force: true });
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, open: boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await portOpen(port)) !== open) {
    if (Date.now() > deadline) throw new Error(`nats-server port ${port} did not ${open ? 'open' : 'close'}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}
