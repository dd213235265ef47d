/**
 * The scale-out bus: NATS JetStream. The relay publishes each event to `evt.<tenant>.<type>` with
 * the event id as message id (JetStream drops duplicates within the stream's duplicate window);
 * replays for one consumer go to `rpl.<consumer>.<tenant>`. Every consumer name is a pair of
 * durable pull consumers shared by all processes — `<name>` for live events, `<name>_replay` for
 * its replays (separate, so a large replay never blocks live traffic, and so a single filter
 * subject suffices on servers older than 2.10, which lack `filter_subjects`).
 *
 * Ordering: with `spec.ordered`, messages of one ordering key are handled one after another within
 * a process; JetStream itself does not partition by key, so two processes may handle one key at
 * once, and a retried message may be overtaken by the next one of its key.
 */
import {
  AckPolicy, DeliverPolicy, jetstream, jetstreamManager, JetStreamApiCodes, JetStreamApiError, RetentionPolicy, StorageType,
  type ConsumerConfig, type JetStreamClient, type JetStreamManager,
} from '@nats-io/jetstream';
import { connect, headers, nanos, type NatsConnection } from '@nats-io/transport-node';
import { AppError, errorMessage } from '../../../platform/errors.js';
import type { Logger } from '../../../platform/logger.js';
import type { Bus, BusSubscription, MessageHandler, SubscriptionSpec } from '../../../ports/bus.port.js';
import type { BusMessage } from '../../../ports/events.types.js';
import { durableName, subjectScheme, type SubjectScheme } from './nats.subjects.js';
import { NatsSubscription } from './nats.subscription.js';

export interface NatsBusConfig {
  /** `nats://host:port`, or several separated by commas. */
  url: string;
  /** JetStream stream holding relayed events and replays (default `EVENTRAG`). */
  stream?: string;
  /** Prefix of every subject (default none); lets several deployments or test runs share a server. */
  subjectPrefix?: string;
  /** How long a publish waits for JetStream's acknowledgement before BUS_UNAVAILABLE (default 2000 ms). */
  publishTimeoutMs?: number;
  /** Time a handler may hold a message between heartbeats before JetStream redelivers it (default 30 s). */
  ackWaitMs?: number;
  /** How long the stream keeps messages (default 7 days). */
  maxAgeMs?: number;
  /** JetStream de-duplication window for message ids (default 2 min). */
  duplicateWindowMs?: number;
  /** Where a consumer created for the first time starts: the whole stream, or new messages only (default `all`). */
  deliverPolicy?: 'all' | 'new';
  /** Delay before redelivering a message whose handler threw (default 1000 ms). */
  crashRetryMs?: number;
  /** Wait between reconnect attempts (default 1000 ms). */
  reconnectWaitMs?: number;
  /** Connection name shown by the server's monitoring. */
  name?: string;
  /** Where subscription failures are reported (default: nowhere). */
  logger?: Pick<Logger, 'error'>;
}

type Settings = Readonly<Required<Omit<NatsBusConfig, 'logger'>>> & Pick<NatsBusConfig, 'logger'>;

const DEFAULTS = {
  stream: 'EVENTRAG', subjectPrefix: '', publishTimeoutMs: 2_000, ackWaitMs: 30_000, maxAgeMs: 7 * 86_400_000,
  duplicateWindowMs: 120_000, deliverPolicy: 'all', crashRetryMs: 1_000, reconnectWaitMs: 1_000, name: 'eventrag',
} as const satisfies Omit<Required<NatsBusConfig>, 'url' | 'logger'>;

/** Header carrying a message's ordering key (also in the JSON payload), for tools watching the stream. */
export const ORDERING_KEY_HEADER = 'Eventrag-Ordering-Key';

interface Connection {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
}

/** Creates the JetStream bus; `init()` connects and creates the stream when missing. */
export function createNatsBus(config: NatsBusConfig): Bus {
  const settings: Settings = Object.freeze({ ...DEFAULTS, ...config });
  const subjects = subjectScheme(settings.subjectPrefix);
  const subscriptions = new Set<BusSubscription>();
  let connection: Connection | undefined;
  let connected = false;

  const current = (): Connection => {
    if (!connection) throw new AppError('BUS_UNAVAILABLE', { detail: 'NATS bus is not initialised' });
    return connection;
  };

  return {
    kind: 'nats',
    claimsInStore: false,
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
      await Promise.allSettled([...subscriptions].map((s) => s.stop(0)));
      subscriptions.clear();
      const nc = connection?.nc;
      connection = undefined;
      connected = false;
      if (nc && !nc.isClosed()) await nc.close();
    },
    async publish(messages) {
      const { js } = current();
      if (!connected) throw unavailable('NATS is disconnected');
      await Promise.all(messages.map((message) => js.publish(subjectOf(subjects, message), JSON.stringify(message), {
        timeout: settings.publishTimeoutMs,
        headers: messageHeaders(message),
        // Replays must not be dropped as duplicates of the original publication.
        ...(message.target === undefined ? { msgID: message.eventId } : {}),
      }))).catch((error: unknown) => { throw unavailable(`NATS publish failed: ${errorMessage(error)}`, error); });
    },
    async subscribe(spec, handler) {
      const subscription = await startSubscription(current(), settings, subjects, spec, handler);
      subscriptions.add(subscription);
      return {
        async stop(graceMs) {
          subscriptions.delete(subscription);
          await subscription.stop(graceMs);
        },
      };
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

function subjectOf(subjects: SubjectScheme, message: BusMessage): string {
  return message.target === undefined
    ? subjects.event(message.tenantId, message.type)
    : subjects.replay(message.target, message.tenantId);
}

function messageHeaders(message: BusMessage) {
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

async function startSubscription(
  connection: Connection, settings: Settings, subjects: SubjectScheme, spec: SubscriptionSpec, handler: MessageHandler,
): Promise<NatsSubscription> {
  const serverVersion = connection.nc.info?.version ?? '0.0.0';
  const live = liveFilter(subjects.eventFilters(spec.types), subjects, serverVersion);
  const consumers = [
    { name: durableName(spec.consumer), filter: live, source: 'live' as const },
    { name: durableName(spec.consumer, '_replay'), filter: { filter_subject: subjects.replayFilter(spec.consumer) }, source: 'replay' as const },
  ];
  const subscription = new NatsSubscription(spec, handler, {
    heartbeatMs: Math.max(100, Math.floor(settings.ackWaitMs / 3)),
    crashRetryMs: settings.crashRetryMs,
    onError: (error) => settings.logger?.error({ err: error, consumer: spec.consumer }, 'NATS subscription stopped pulling'),
  });
  for (const { name, filter, source } of consumers) {
    await ensureConsumer(connection.jsm, settings, name, { ...filter, max_deliver: spec.maxAttempts });
    const consumer = await connection.js.consumers.get(settings.stream, name);
    subscription.attach(await consumer.consume({ max_messages: Math.max(1, spec.concurrency) }), source);
  }
  return subscription;
}

/** One filter subject when possible; several need NATS ≥ 2.10, before that the whole `evt.>` (filtered in the client). */
function liveFilter(filters: string[], subjects: SubjectScheme, serverVersion: string): Partial<ConsumerConfig> {
  if (filters.length === 1) return { filter_subject: filters[0]! };
  const [major = 0, minor = 0] = serverVersion.split('.').map((n) => Number.parseInt(n, 10));
  if (major > 2 || (major === 2 && minor >= 10)) return { filter_subjects: filters };
  return { filter_subject: subjects.eventFilters(['*'])[0]! };
}

/** Creates the durable consumer, or updates it when the subscription's settings changed. */
async function ensureConsumer(jsm: JetStreamManager, settings: Settings, name: string, config: Partial<ConsumerConfig>): Promise<void> {
  const wanted: Partial<ConsumerConfig> = {
    ...config,
    durable_name: name,
    ack_policy: AckPolicy.Explicit,
    ack_wait: nanos(settings.ackWaitMs),
    deliver_policy: settings.deliverPolicy === 'new' ? DeliverPolicy.New : DeliverPolicy.All,
  };
  try {
    const existing = await jsm.consumers.info(settings.stream, name);
    const same = (['filter_subject', 'max_deliver', 'ack_wait'] as const).every((k) => existing.config[k] === wanted[k])
      && JSON.stringify(existing.config.filter_subjects ?? []) === JSON.stringify(wanted.filter_subjects ?? []);
    if (!same) {
      const { durable_name: _name, deliver_policy: _policy, ack_policy: _ack, ...update } = wanted;
      await jsm.consumers.update(settings.stream, name, update);
    }
  } catch (error) {
    if (!isNotFound(error, JetStreamApiCodes.ConsumerNotFound)) throw unavailable(`NATS consumer setup failed: ${errorMessage(error)}`, error);
    await jsm.consumers.add(settings.stream, wanted);
  }
}
