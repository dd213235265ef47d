/** The consumer the event backbone brings itself: `realtime` (live fan-out to streams). The `stats` projection is a feature (src/stats). */
import type { RealtimeHub } from '../realtime/realtime.hub.js';
import type { ConsumerDefinition } from './consumer.registry.js';

export function realtimeConsumer(hub: RealtimeHub): ConsumerDefinition {
  return {
    name: 'realtime',
    description: 'Pushes every event to SSE and WebSocket clients',
    types: ['*'],
    delivery: 'live',
    // One after another: clients see events in log order.
    concurrency: 1,
    handle: (event) => hub.publish(event),
  };
}
