/**
 * The bare Fastify baseline for phase (c): the same Fastify, Node, tsx loader and logger level as
 * the eventrag server, one POST route that parses the JSON body and answers 202 with an id.
 */
import Fastify from 'fastify';
import { newId } from '../../src/platform/ids.js';

const app = Fastify({ logger: { level: 'warn' } });
app.post('/v1/events', async (_request, reply) => reply.status(202).send({ id: newId(), duplicate: false }));
await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT) });
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
