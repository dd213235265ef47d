/**
 * Realtime fan-out across API processes over NATS core subjects `rt.<tenantId>` (not durable:
 * a process that is down misses what was sent meanwhile, as live streams should). Every
 * subscribed process receives each payload, the publishing one included.
 */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { AppError, errorMessage } from '../../../platform/errors.js';
import type { Broadcast } from '../../../ports/bus.port.js';
import { subjectScheme } from './nats.subjects.js';

export interface NatsBroadcastConfig {
  /** `nats://host:port`, or several separated by commas. */
  url: string;
  /** Prefix of every subject (default none), as for the bus. */
  subjectPrefix?: string;
  /** Connection name shown by the server's monitoring. */
  name?: string;
}

/** Creates the broadcast; it connects on first use and reconnects by itself. */
export function createNatsBroadcast(config: NatsBroadcastConfig): Broadcast {
  const settings = Object.freeze({ subjectPrefix: '', name: 'eventrag-realtime', ...config });
  const subjects = subjectScheme(settings.subjectPrefix);
  let connecting: Promise<NatsConnection> | undefined;
  const connection = (): Promise<NatsConnection> => {
    connecting ??= connect({
      servers: settings.url.split(',').map((s) => s.trim()),
      name: settings.name,
      reconnect: true,
      maxReconnectAttempts: -1,
    }).catch((error: unknown) => {
      connecting = undefined;
      throw new AppError('BUS_UNAVAILABLE', { detail: `cannot connect to NATS: ${errorMessage(error)}`, category: 'third_party', cause: error });
    });
    return connecting;
  };

  return {
    async publish(tenantId, payload) {
      (await connection()).publish(subjects.realtime(tenantId), payload);
    },
    async subscribe(listener) {
      const nc = await connection();
      const subscription = nc.subscribe(subjects.realtimeWildcard(), {
        callback: (error, message) => {
          if (error) return;
          const tenantId = subjects.realtimeTenant(message.subject);
          if (tenantId !== undefined) listener(tenantId, message.string());
        },
      });
      // Make sure the server knows the interest before the caller relies on it.
      await nc.flush();
      return async () => {
        subscription.unsubscribe();
      };
    },
    async close() {
      const pending = connecting;
      connecting = undefined;
      const nc = await pending?.catch(() => undefined);
      // Draining needs the server; while reconnecting (e.g. after an outage) just close.
      if (nc && !nc.isClosed()) await nc.drain().catch(() => nc.close());
    },
  };
}
