import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalBus } from '../../src/adapters/bus/local/local.bus.js';
import { createNatsBus } from '../../src/adapters/bus/nats/nats.bus.js';
import { createSqliteStore } from '../../src/adapters/sql/sqlite.store.js';
import { createLogger } from '../../src/platform/logger.js';
import { anyTypeMatches } from '../../src/platform/patterns.js';
import type { DeliveryOutcome, MessageHandler, SubscriptionSpec } from '../../src/ports/bus.port.js';
import type { BusMessage } from '../../src/ports/events.types.js';
import { deleteStream, testNatsConfig } from '../helpers/nats.js';
import { uniqueSuffix } from '../helpers/services.js';
import { describeBusContract, type BusDriver } from './bus.contract.js';

describeBusContract('nats', async () => {
  const config = testNatsConfig(uniqueSuffix());
  const buses = [createNatsBus(config), createNatsBus(config)] as const;
  await Promise.all(buses.map((b) => b.init()));
  return {
    buses: [buses[0], buses[1]],
    tenantId: `tenant-${uniqueSuffix()}`,
    publish: (messages) => buses[0].publish(messages),
    wrap: (_spec, handler) => handler,
    async teardown() {
      await Promise.all(buses.map((b) => b.close()));
      await deleteStream(config.stream);
    },
  };
});

describeBusContract('local', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'eventrag-bus-'));
  const store = createSqliteStore({ filename: join(dir, 'bus.db') });
  await store.migrate();
  const { tenant } = await store.tenants.ensure('bus-contract');
  const logger = createLogger('silent');
  const config = { deliveries: store.deliveries, pollMs: 25, leaseMs: 5_000, logger };
  const buses = [createLocalBus(config), createLocalBus(config)] as const;
  await Promise.all(buses.map((b) => b.init()));
  const specs = new Map<string, SubscriptionSpec>();
  return {
    buses: [buses[0], buses[1]],
    tenantId: tenant.id,
    /** As the relay: log the events, create deliveries for the consumers they concern, then notify. */
    async publish(messages: BusMessage[]) {
      const known = new Set((await store.events.getMany(messages.map((m) => m.eventId))).map((e) => e.id));
      const now = Date.now();
      await store.events.append(messages.filter((m) => !known.has(m.eventId)).map((m) => ({
        id: m.eventId, tenantId: m.tenantId, type: m.type, source: 'bus-contract', subject: null, userId: m.orderingKey ?? null,
        sessionId: null, category: 'test', sourceApp: null, time: now, receivedAt: now, idempotencyKey: null, senderRole: null, data: null,
      })), 0);
      const rows = await store.outbox.peek(10_000);
      const deliveries = messages.flatMap((m) => [...specs.values()]
        .filter((s) => (m.target === undefined ? anyTypeMatches(s.types, m.type) : s.consumer === m.target))
        .map((s) => ({ eventId: m.eventId, consumer: s.consumer, tenantId: m.tenantId, orderingKey: m.orderingKey ?? null })));
      await store.outbox.relayed(rows.map((r) => r.seq), deliveries);
      await Promise.all(buses.map((b) => b.publish(messages)));
    },
    /** As the dispatcher: load the event, run the handler, record its outcome. */
    wrap(spec, handler): MessageHandler {
      specs.set(spec.consumer, spec);
      return async (message, attempt) => {
        const [event] = await store.events.getMany([message.eventId]);
        const outcome = await handler({ ...message, type: event!.type }, attempt)
          .catch((): DeliveryOutcome => ({ kind: 'retry', delayMs: 50 }));
        const now = Date.now();
        if (outcome.kind === 'done') await store.deliveries.markDone(spec.consumer, [message.eventId], now);
        else if (outcome.kind === 'dead' || attempt >= spec.maxAttempts) await store.deliveries.markDead(spec.consumer, message.eventId, 'dead', now);
        else await store.deliveries.markFailed(spec.consumer, message.eventId, 'retry', now + outcome.delayMs, now);
        return outcome;
      };
    },
    async teardown() {
      await Promise.all(buses.map((b) => b.close()));
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  } satisfies BusDriver;
});
