/** The streamed answer's total deadline: a provider that never finishes is cut off with an error event. */
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import type { AnswerStreamItem } from '../../src/rag/search/answer.service.js';
import { streamAnswer } from '../../src/rag/search/answer-stream.js';

async function* endless(signal: AbortSignal, seen: { aborted: boolean; deltas: number }): AsyncGenerator<AnswerStreamItem> {
  yield { type: 'sources', sources: [] };
  while (!signal.aborted) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    seen.deltas += 1;
    yield { type: 'delta', text: 'more ' };
  }
  seen.aborted = true;
}

describe('streamed answer deadline', () => {
  it('aborts the generation after maxMs and ends the stream with an error event', async () => {
    const seen = { aborted: false, deltas: 0 };
    const app = Fastify();
    app.post('/answer', async (request, reply) => streamAnswer(request, reply, (signal) => endless(signal, seen), 200));
    const res = await app.inject({ method: 'POST', url: '/answer', payload: { query: 'q' } });
    expect(res.body).toContain('event: sources');
    expect(res.body).toContain('event: delta');
    expect(res.body).toMatch(/event: error\ndata: \{"code":"PROVIDER_UNAVAILABLE","detail":"the answer was not complete within 0.2 s"\}/);
    expect(seen.aborted).toBe(true);
    expect(seen.deltas).toBeLessThan(50);
    await app.close();
  });
});
