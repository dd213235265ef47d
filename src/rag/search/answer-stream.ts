/**
 * `POST /v1/answer` with `stream: true`: Server-Sent Events `sources`, `degraded`?, `delta`…,
 * `done`. The search runs before the response starts, so a bad request still gets its
 * problem+json; once streaming, every write is guarded and a client that goes away aborts the
 * provider's request (its socket's errors never reach the process).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { isAppError } from '../../platform/errors.js';
import type { AnswerStreamItem } from './answer.service.js';
import type { SearchResultItem } from './search.service.js';

/** Citations with the collection and source event of the hit each one points at. */
export function citationsOf(citations: Array<{ n: number; chunkId: string; documentId: string }>, sources: SearchResultItem[]) {
  return citations.map((c) => {
    const source = sources[c.n - 1];
    return { ...c, collection: source?.collection ?? '', sourceEventId: source?.sourceEventId ?? '' };
  });
}

/** Longest a streamed answer may take in all (the provider timeout guards only its first event). */
export const ANSWER_STREAM_MAX_MS = 120_000;

/** Turns answer items into SSE events on `send`, remembering the sources and a degradation. */
function sseEmitter(send: (event: string, data: unknown) => void) {
  let sources: SearchResultItem[] = [];
  let degraded: string | null = null;
  let done = false;
  return {
    get degraded() { return degraded; },
    get done() { return done; },
    emit(item: AnswerStreamItem) {
      if (item.type === 'sources') { sources = item.sources; send('sources', { sources }); }
      else if (item.type === 'degraded') { degraded = item.reason; send('degraded', { reason: item.reason }); }
      else if (item.type === 'delta') send('delta', { text: item.text });
      else {
        done = true;
        send('done', { answer: item.answer.text, citations: citationsOf(item.answer.citations, sources), generator: item.answer.generator, model: item.answer.model, degraded: degraded !== null, degradedReason: degraded });
      }
    },
  };
}

export async function streamAnswer(request: FastifyRequest, reply: FastifyReply, start: (signal: AbortSignal) => AsyncGenerator<AnswerStreamItem>, maxMs = ANSWER_STREAM_MAX_MS): Promise<FastifyReply> {
  const abort = new AbortController();
  const stream = start(abort.signal);
  const first = await stream.next(); // search errors are thrown here, before any byte is sent
  reply.hijack();
  const raw = reply.raw;
  let open = true;
  const stop = () => { open = false; abort.abort(); };
  const deadline = setTimeout(() => abort.abort(), maxMs);
  raw.on('close', stop);
  raw.on('error', (error) => { stop(); request.log.debug({ err: error }, 'answer stream client error'); });
  const send = (event: string, data: unknown) => {
    if (open && !raw.destroyed && !raw.writableEnded) raw.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  };
  raw.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  const sse = sseEmitter(send);
  try {
    if (!first.done) sse.emit(first.value);
    for (let next = await stream.next(); open && !next.done; next = await stream.next()) sse.emit(next.value);
    if (!sse.done) send('error', { code: 'PROVIDER_UNAVAILABLE', detail: `the answer was not complete within ${maxMs / 1000} s` });
  } catch (error) {
    request.log.warn({ err: error }, 'answer stream failed');
    send('error', isAppError(error) ? { code: error.code, detail: error.message } : { code: 'INTERNAL', detail: 'the answer could not be completed' });
  } finally {
    clearTimeout(deadline);
    if (!open) await stream.return(undefined).catch(() => undefined);
  }
  request.trackData = { query: (request.body as { query: string }).query, streamed: true, degraded: sse.degraded !== null };
  if (!raw.destroyed && !raw.writableEnded) raw.end();
  return reply;
}
