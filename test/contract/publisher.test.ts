import { createNatsPublisher } from '../../src/adapters/bus/nats/nats.publisher.js';
import { subjectScheme } from '../../src/adapters/bus/nats/nats.subjects.js';
import { canSpawnNatsServer, deleteStream, readStream, spawnNatsServer, testNatsConfig, type NatsServerProcess } from '../helpers/nats.js';
import { freePort } from '../helpers/processes.js';
import { natsUrl, uniqueSuffix } from '../helpers/services.js';
import { describePublisherContract, type PublisherDriver } from './publisher.contract.js';

/** A NATS publisher on its own stream and subject prefix; the stream is read through a consumer created on it. */
async function natsDriver(url: string, server?: NatsServerProcess): Promise<PublisherDriver> {
  const config = testNatsConfig(uniqueSuffix(), url);
  const publisher = createNatsPublisher(config);
  await publisher.init();
  const subjects = subjectScheme(config.subjectPrefix);
  const nobody = await freePort(); // nobody listens on a port that was just free
  return {
    publisher,
    address: (tenantId, type) => subjects.event(tenantId, type),
    received: async () => (await readStream(config.stream, { url })).map((m) => ({ address: m.subject, messageId: m.msgId, payload: m.data })),
    unreachable: () => createNatsPublisher({ ...config, url: `nats://127.0.0.1:${nobody}`, publishTimeoutMs: 300 }),
    ...(server ? { outage: server } : {}),
    async teardown() {
      await publisher.close();
      await deleteStream(config.stream, url).catch(() => undefined);
      await server?.dispose();
    },
  };
}

describePublisherContract('nats (shared server)', () => natsDriver(natsUrl()));

if (canSpawnNatsServer) {
  describePublisherContract('nats (private server, with an outage)', async () => {
    const server = await spawnNatsServer();
    return natsDriver(server.url, server);
  });
}
