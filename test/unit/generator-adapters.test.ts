import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createExtractiveGenerator, extractAnswer } from '../../src/adapters/generator/extractive/extractive.generator.js';
import { buildMessages, createOpenAiGenerator } from '../../src/adapters/generator/openai/openai.generator.js';
import type { AnswerSource, AnswerStreamEvent } from '../../src/ports/generator.port.js';
import { createProviderPolicy, withGeneratorResilience } from '../../src/platform/resilience.js';

const sources: AnswerSource[] = [
  { chunkId: 'a#0', documentId: 'a', score: 2, text: 'The warehouse opens at 8 am. Deliveries arrive on Mondays. Staff park behind the building.' },
  { chunkId: 'b#0', documentId: 'b', score: 1, text: 'Returns are accepted within 30 days. The warehouse closes at 6 pm on weekdays.' },
];

async function collect(events: AsyncIterable<AnswerStreamEvent>): Promise<AnswerStreamEvent[]> {
  const all: AnswerStreamEvent[] = [];
  for await (const event of events) all.push(event);
  return all;
}

describe('extractive generator', () => {
  it('answers with the best sentences and [n] citations pointing at chunks', () => {
    const answer = extractAnswer('When does the warehouse open and close?', sources);
    expect(answer.text).toBe('The warehouse opens at 8 am. [1] The warehouse closes at 6 pm on weekdays. [2]');
    expect(answer.citations).toEqual([
      { n: 1, chunkId: 'a#0', documentId: 'a' },
      { n: 2, chunkId: 'b#0', documentId: 'b' },
    ]);
  });
  it('says so when nothing matches, and streams the same answer', async () => {
    expect(extractAnswer('quantum chromodynamics', sources)).toMatchObject({ citations: [], text: expect.stringContaining('No answer') });
    const events = await collect(createExtractiveGenerator().stream({ query: 'returns within days', sources }));
    const done = events.at(-1)!;
    expect(done.type).toBe('done');
    const text = events.flatMap((event) => (event.type === 'delta' ? [event.text] : [])).join(' ');
    expect(done.type === 'done' && done.answer.text).toBe(text);
    expect(text).toBe('Returns are accepted within 30 days. [2]');
  });
});

let server: Server;
let baseUrl: string;
let failures: number[] = [];
const bodies: { stream: boolean; messages: { content: string }[] }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk: Buffer) => (raw += chunk.toString()));
    req.on('end', () => {
      const body = JSON.parse(raw) as { stream: boolean; messages: { content: string }[] };
      bodies.push(body);
      const failure = failures.shift();
      if (failure) return void res.writeHead(failure, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'nope' } }));
      const text = 'It opens at 8 am [1] and closes at 6 pm [2]. See also [7].';
      if (!body.stream) {
        return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ choices: [{ index: 0, message: { role: 'assistant', content: text } }] }));
      }
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const pieces = ['It opens at 8 am [1]', ' and closes at 6 pm [2].', ' See also [7].'];
      res.write(`data: ${JSON.stringify({ choices: [{ delta: { role: 'assistant' } }] })}\n\n`);
      // Split one event across writes to exercise buffering.
      const second = `data: ${JSON.stringify({ choices: [{ delta: { content: pieces[1] } }] })}\n\n`;
      res.write(`data: ${JSON.stringify({ choices: [{ delta: { content: pieces[0] } }] })}\n\n${second.slice(0, 10)}`);
      setTimeout(() => {
        res.write(second.slice(10));
        res.write(`: keep-alive comment\n\ndata: ${JSON.stringify({ choices: [{ delta: { content: pieces[2] } }] })}\r\n\r\n`);
        res.end('data: [DONE]\n\n');
      }, 5);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('openai generator against a local server', () => {
  const generator = () => createOpenAiGenerator({ baseUrl, apiKey: 'k', model: 'chat-model' });

  it('numbers the sources in the prompt', () => {
    const messages = buildMessages({ query: 'When?', sources });
    expect(messages[1]!.content).toContain(`[1] ${sources[0]!.text}`);
    expect(messages[1]!.content).toContain(`[2] ${sources[1]!.text}`);
    expect(messages[1]!.content).toContain('Question: When?');
  });

  it('answers whole, keeping only valid citations', async () => {
    const answer = await generator().generate({ query: 'When?', sources });
    expect(answer).toMatchObject({ generator: 'openai', model: 'chat-model', text: 'It opens at 8 am [1] and closes at 6 pm [2]. See also [7].' });
    expect(answer.citations.map((c) => c.chunkId)).toEqual(['a#0', 'b#0']);
    expect(bodies.at(-1)!.stream).toBe(false);
  });

  it('streams SSE deltas and ends with the whole answer', async () => {
    const events = await collect(generator().stream({ query: 'When?', sources }));
    expect(events.filter((e) => e.type === 'delta').map((e) => (e.type === 'delta' ? e.text : ''))).toEqual(['It opens at 8 am [1]', ' and closes at 6 pm [2].', ' See also [7].']);
    const done = events.at(-1)!;
    expect(done.type === 'done' && done.answer.citations.map((c) => c.n)).toEqual([1, 2]);
  });

  it('fails with PROVIDER_UNAVAILABLE, and retries a failed stream start under the policy', async () => {
    failures = [500];
    await expect(generator().generate({ query: 'q', sources })).rejects.toMatchObject({ code: 'PROVIDER_UNAVAILABLE', details: { providerStatus: 500 } });
    failures = [503];
    const resilient = withGeneratorResilience(generator(), createProviderPolicy({ initialBackoffMs: 1 }));
    const events = await collect(resilient.stream({ query: 'q', sources }));
    expect(events.at(-1)!.type).toBe('done');
    failures = [401];
    await expect(collect(resilient.stream({ query: 'q', sources }))).rejects.toMatchObject({ details: { providerStatus: 401, retryable: false } });
  });
});
