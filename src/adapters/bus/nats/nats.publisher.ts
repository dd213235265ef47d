/**
 * The outside stream: NATS JetStream. The `nats-publisher` consumer publishes each committed
 * event to `evt.<tenant>.<type>` with the event id as message id (JetStream drops a
 * re-publication within the stream's duplicate window), for other services to subscribe to.
 * eventrag's own consumers do not read it: they read the log.
 */
import {
  jetstream, jetstreamManager, JetStreamApiCodes, JetStreamApiError, RetentionPolicy, StorageType, type JetStreamClient, type JetStreamManager,
} from '@nats-io/jetstream';
import { connect, headers, nanos, type NatsConnection } from '@nats-io/transport-node';
import { AppError, errorMessage } from '../../../platform/errors.js';
import type { EventPublisher, PublishedEvent } from '../../../ports/bus.port.js';
import { subjectScheme, type SubjectScheme } from './nats.subjects.js';

export interface NatsBusConfig {
  /** `nats://host:port`, or several separated by commas. */
  url: string;
  /** JetStream stream holding the published events (default `EVENTRAG`). */
  stream?: string;
  /** Prefix of every subject (default none); lets several deployments or test runs share a server. */
  subjectPrefix?: string;
  /** How long a publish waits for JetStream's acknowledgement before BUS_UNAVAILABLE (default 2000 ms). */
  publishTimeoutMs?: number;
  /** How long the stream keeps messages (default 7 days). */
  maxAgeMs?: number;
  /** JetStream de-duplication window for message ids (default 2 min). */
  duplicateWindowMs?: number;
  /** Wait between reconnect attempts (default 1000 ms). */
  reconnectWaitMs?: number;
  /** Connection name shown by the server's monitoring. */
  name?: string;
}

type Settings = Readonly<Required<NatsBusConfig>>;

const DEFAULTS = {
  stream: 'EVENTRAG', subjectPrefix: '', publishTimeoutMs: 2_000, maxAgeMs: 7 * 86_400_000,
  duplicateWindowMs: 120_000, reconnectWaitMs: 1_000, name: 'eventrag',
} as const satisfies Omit<Required<NatsBusConfig>, 'url'>;

/** Header carrying a message's ordering key (also in the JSON payload), for tools watching the stream. */
export const ORDERING_KEY_HEADER = 'Eventrag-Ordering-Key';

interface Connection {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
}

/** Creates the JetStream publisher; `init()` connects and creates the stream when missing. */
export function createNatsPublisher(config: NatsBusConfig): EventPublisher {
  const settings: Settings = Object.freeze({ ...DEFAULTS, ...config });
  const subjects = subjectScheme(settings.subjectPrefix);
  let connection: Connection | undefined;
  let connected = false;

  const current = (): Connection => {
    if (!connection) throw new AppError('BUS_UNAVAILABLE', { detail: 'NATS bus is not initialised' });
    return connection;
  };

  return {
    kind: 'nats',
    async init() {
      if (connection) return;
      const nc = await connect({
        servers: settings.url.split(',').map((s) => s.trim()),
        name: settings.name,
        reconnect: true,
        maxReconnectAttempts: -1,
        reconnectTimeWait: settings.reconnectWaitMs,
      }).catch((error: unknown) => { throw unavailable(`cannot connect to NATS: ${errorMessage(error)}`, error); });
      const jsm = await jetstreamManager(nc, { timeout: settings.publishTimeoutMs });
      connection = { nc, jsm, js: jetstream(nc, { timeout: settings.publishTimeoutMs }) };
      connected = true;
      void watchStatus(nc, (up) => {
        connected = up;
        if (up) void ensureStream(jsm, settings, subjects).catch(() => undefined);
      });
      await ensureStream(jsm, settings, subjects);
    },
    async close() {
      const nc = connection?.nc;
      connection = undefined;
      connected = false;
      if (nc && !nc.isClosed()) await nc.close();
    },
    async publish(events) {
      const { js } = current();
      if (!connected) throw unavailable('NATS is disconnected');
      await Promise.all(events.map((event) => js.publish(subjects.event(event.tenantId, event.type), event.payload, {
        timeout: settings.publishTimeoutMs, headers: messageHeaders(event), msgID: event.eventId,
      }))).catch((error: unknown) => { throw unavailable(`NATS publish failed: ${errorMessage(error)}`, error); });
    },
    async ready() {
      if (!connection) return { ok: false, detail: 'not initialised' };
      return connected && !connection.nc.isClosed() ? { ok: true } : { ok: false, detail: 'NATS is disconnected' };
    },
  };
}

function unavailable(detail: string, cause?: unknown): AppError {
  return new AppError('BUS_UNAVAILABLE', { detail, category: 'third_party', cause });
}

function messageHeaders(message: PublishedEvent) {
  const h = headers();
  if (message.orderingKey) h.set(ORDERING_KEY_HEADER, message.orderingKey);
  return h;
}

/** Follows the connection's status until it closes, reporting up/down changes. */
async function watchStatus(nc: NatsConnection, onChange: (up: boolean) => void): Promise<void> {
  void nc.closed().then(() => onChange(false));
  for await (const status of nc.status()) {
    if (status.type === 'disconnect' || status.type === 'reconnecting') onChange(false);
    else if (status.type === 'reconnect') onChange(true);
  }
}

/** Creates the stream when it does not exist yet (an existing stream is left as configured). */
async function ensureStream(jsm: JetStreamManager, settings: Settings, subjects: SubjectScheme): Promise<void> {
  try {
    await jsm.streams.info(settings.stream);
  } catch (error) {
    if (!isNotFound(error, JetStreamApiCodes.StreamNotFound)) throw unavailable(`NATS stream check failed: ${errorMessage(error)}`, error);
    await jsm.streams.add({
      name: settings.stream,
      subjects: subjects.streamSubjects(),
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      max_age: nanos(settings.maxAgeMs),
      duplicate_window: nanos(settings.duplicateWindowMs),
    });
  }
}

function isNotFound(error: unknown, code: number): boolean {
  return error instanceof JetStreamApiError && error.code === code;
}
