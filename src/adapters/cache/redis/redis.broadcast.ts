/**
 * Realtime fan-out across API processes over Redis pub/sub: channel `<keyPrefix>rt:<tenantId>`,
 * one pattern subscription per process (not durable: a process that is down misses what was
 * sent meanwhile). Every subscribed process receives each payload, the publishing one included.
 */
import { Redis } from 'ioredis';
import { AppError } from '../../../platform/errors.js';
import type { Broadcast } from '../../../ports/bus.port.js';

export interface RedisBroadcastConfig {
  /** `redis://[:password@]host:port[/db]` */
  url: string;
  /** Prepended to every channel, e.g. `eventrag:`. */
  keyPrefix: string;
}

/** Creates the broadcast: one connection publishes; a second one, opened on first subscribe, listens. */
export function createRedisBroadcast(config: RedisBroadcastConfig): Broadcast {
  const settings = Object.freeze({ ...config });
  const channelPrefix = `${settings.keyPrefix}rt:`;
  const pattern = `${escapeGlob(channelPrefix)}*`;
  const publisher = new Redis(settings.url, { maxRetriesPerRequest: 1, commandTimeout: 1_000 });
  publisher.on('error', () => {});
  const listeners = new Set<(tenantId: string, payload: string) => void>();
  let subscriber: Redis | undefined;
  let listening: Promise<unknown> | undefined;

  const listen = (): Promise<unknown> => {
    listening ??= (async () => {
      subscriber = new Redis(settings.url);
      subscriber.on('error', () => {});
      subscriber.on('pmessage', (_pattern: string, channel: string, payload: string) => {
        if (!channel.startsWith(channelPrefix)) return;
        const tenantId = channel.slice(channelPrefix.length);
        for (const listener of listeners) listener(tenantId, payload);
      });
      return subscriber.psubscribe(pattern);
    })();
    return listening;
  };

  return {
    async publish(tenantId, payload) {
      try {
        await publisher.publish(`${channelPrefix}${tenantId}`, payload);
      } catch (error) {
        throw new AppError('PROVIDER_UNAVAILABLE', { detail: 'Redis broadcast is unavailable', category: 'third_party', cause: error });
      }
    },
    async subscribe(listener) {
      listeners.add(listener);
      await listen();
      return async () => {
        listeners.delete(listener);
      };
    },
    async close() {
      listeners.clear();
      const closing = [publisher.quit().catch(() => publisher.disconnect())];
      const listener = subscriber;
      if (listener) closing.push(listener.quit().catch(() => listener.disconnect()));
      subscriber = undefined;
      listening = undefined;
      await Promise.all(closing);
    },
  };
}

/** Escapes Redis glob characters so a key prefix matches literally in PSUBSCRIBE. */
function escapeGlob(value: string): string {
  return value.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}
