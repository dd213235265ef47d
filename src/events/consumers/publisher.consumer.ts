/**
 * The `nats-publisher` consumer: publishes every committed event to the outside stream (NATS
 * JetStream) for other services, in batches. At least once: a re-publication after a crash has
 * the same message id (the event id) and JetStream drops it within its duplicate window.
 */
import type { EventPublisher } from '../../ports/bus.port.js';
import type { LogEntry } from '../../ports/events.types.js';
import { eventToJson } from '../operations.routes.js';
import type { ConsumerDefinition } from './consumer.registry.js';

const toPublished = (event: LogEntry) => ({
  eventId: event.id, tenantId: event.tenantId, type: event.type, orderingKey: event.userId,
  payload: JSON.stringify({ ...eventToJson(event), tenantId: event.tenantId }),
});

export function publisherConsumer(publisher: EventPublisher): ConsumerDefinition {
  return {
    name: 'nats-publisher',
    description: 'Publishes every event to NATS JetStream (evt.<tenant>.<type>, message id = event id) for other services',
    types: ['*'],
    delivery: 'durable',
    concurrency: 64,
    handle: (event) => publisher.publish([toPublished(event)]),
  };
}
