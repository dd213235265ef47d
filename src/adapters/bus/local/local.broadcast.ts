import { EventEmitter } from 'node:events';
import type { Broadcast } from '../../../ports/bus.port.js';

/** Realtime fan-out inside one process (the embedded shape). */
export function createLocalBroadcast(): Broadcast {
  const emitter = new EventEmitter();
  emitter.setMaxListeners(0);
  return {
    async publish(tenantId, payload) {
      emitter.emit('message', tenantId, payload);
    },
    async subscribe(listener) {
      emitter.on('message', listener);
      return async () => { emitter.off('message', listener); };
    },
    async close() {
      emitter.removeAllListeners();
    },
  };
}
