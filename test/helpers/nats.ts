/**
 * Stops and starts the local nats-server for outage tests. Only for the local development
 * server (`/usr/sbin/nats-server` on 127.0.0.1:4222 with JetStream data under /var/lib/nats-server).
 * Always pair `stopNatsServer()` with `startNatsServer()` in a `finally`.
 */
import { execFile } from 'node:child_process';
import { connect } from 'node:net';
import { promisify } from 'node:util';

const run = promisify(execFile);
const BINARY = '/usr/sbin/nats-server';

/** Stops the local nats-server and waits until its port is closed. */
export async function stopNatsServer(port = 4222): Promise<void> {
  await run('start-stop-daemon', ['--stop', '--oknodo', '--retry', 'TERM/10/KILL/5', '--exec', BINARY]);
  await waitForPort(port, false);
}

/** Starts the local nats-server (JetStream on, same store directory) and waits until it accepts connections. */
export async function startNatsServer(port = 4222): Promise<void> {
  await run('start-stop-daemon', [
    '--start', '--oknodo', '--background', '--exec', BINARY, '--',
    '-a', '127.0.0.1', '-p', String(port), '-js', '-sd', '/var/lib/nats-server', '-l', '/var/log/nats-server.log',
  ]);
  await waitForPort(port, true);
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
