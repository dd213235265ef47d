import { createNatsBroadcast } from '../../src/adapters/bus/nats/nats.broadcast.js';
import { createRedisBroadcast } from '../../src/adapters/cache/redis/redis.broadcast.js';
import { natsUrl, redisUrl, uniqueSuffix } from '../helpers/services.js';
import { describeBroadcastContract } from './broadcast.contract.js';

describeBroadcastContract('nats', async () => {
  const subjectPrefix = `t${uniqueSuffix()}`;
  const processes = [createNatsBroadcast({ url: natsUrl(), subjectPrefix }), createNatsBroadcast({ url: natsUrl(), subjectPrefix })] as const;
  return { processes: [...processes], teardown: async () => { await Promise.all(processes.map((p) => p.close())); } };
});

describeBroadcastContract('redis', async () => {
  const keyPrefix = `test:${uniqueSuffix()}:`;
  const processes = [createRedisBroadcast({ url: redisUrl(), keyPrefix }), createRedisBroadcast({ url: redisUrl(), keyPrefix })] as const;
  return { processes: [...processes], teardown: async () => { await Promise.all(processes.map((p) => p.close())); } };
});
