/**
 * A local server that speaks the OpenAI-compatible protocol eventrag uses (`/v1/embeddings`,
 * `/v1/chat/completions` with and without streaming), for end-to-end tests without a provider.
 * The categorizer's classification prompts get a deterministic answer (classifyAnswer): each
 * numbered source gets the first label whose name appears in it as a word, else `unknown`.
 */
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { CLASSIFY_PROMPT_START } from '../../src/categorizer/llm.js';

export interface FakeOpenAi {
  baseUrl: string;
  /** Status codes to answer chat requests with, one per request, before answering normally. */
  failChat: number[];
  /** Number of requests per path. */
  calls: Record<string, number>;
  /** Sources per classification prompt answered so far, in order. */
  classified: number[];
  /** When set, classification prompts get this text instead of the deterministic answer. */
  classifyReply: string | null;
  close(): Promise<void>;
}

const DIMENSION = 16;

/** Deterministic unit vector of a text: bag of hashed words. */
function embed(text: string): number[] {
  const vector = new Array<number>(DIMENSION).fill(0);
  for (const word of text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) {
    const digest = createHash('md5').update(word).digest();
    vector[digest[0]! % DIMENSION]! += digest[1]! % 2 === 0 ? 1 : -1;
  }
  const norm = Math.hypot(...vector) || 1;
  return vector.map((v) => v / norm);
}

/** The classification of the prompt's numbered sources against the labels listed in its question. */
export function classifyAnswer(prompt: string): { answer: string; sources: number } {
  const [sourcesPart = '', question = ''] = prompt.split(/\n\nQuestion: /);
  const labels = [...question.matchAll(/^- ([a-z0-9][a-z0-9_-]*): /gm)].map((m) => m[1]!);
  const sources = [...sourcesPart.matchAll(/^\[(\d+)\] (.*)$/gm)].map((m) => ({ n: m[1]!, text: m[2]!.toLowerCase() }));
  const entries = sources.map(({ n, text }) => {
    const label = labels.find((l) => new RegExp(`(^|[^a-z0-9-])${l}([^a-z0-9-]|$)`).test(text));
    return [n, label ? { label, confidence: 0.9 } : { label: 'unknown', confidence: 0.2 }];
  });
  return { answer: JSON.stringify(Object.fromEntries(entries)), sources: sources.length };
}

export async function startFakeOpenAi(answer = 'Employees get 30 days of paid leave [1].'): Promise<FakeOpenAi> {
  const state = { failChat: [] as number[], calls: {} as Record<string, number>, classified: [] as number[], classifyReply: null as string | null };
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk: Buffer) => { raw += chunk.toString(); });
    req.on('end', () => {
      const path = req.url ?? '';
      state.calls[path] = (state.calls[path] ?? 0) + 1;
      const body = JSON.parse(raw || '{}') as { input?: string[]; stream?: boolean; messages?: Array<{ content?: string }> };
      if (path.endsWith('/embeddings')) {
        const data = (body.input ?? []).map((text, index) => ({ object: 'embedding', index, embedding: embed(text) }));
        return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ object: 'list', data, model: 'fake-embed' }));
      }
      const failure = state.failChat.shift();
      if (failure) return void res.writeHead(failure, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'provider down' } }));
      const prompt = body.messages?.at(-1)?.content ?? '';
      if (!body.stream && prompt.includes(CLASSIFY_PROMPT_START)) {
        const classified = classifyAnswer(prompt);
        state.classified.push(classified.sources);
        const content = state.classifyReply ?? classified.answer;
        return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ choices: [{ index: 0, message: { role: 'assistant', content } }] }));
      }
      if (!body.stream) {
        return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ choices: [{ index: 0, message: { role: 'assistant', content: answer } }] }));
      }
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      for (const piece of answer.match(/.{1,12}/g) ?? []) res.write(`data: ${JSON.stringify({ choices: [{ delta: { content: piece } }] })}\n\n`);
      res.end('data: [DONE]\n\n');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    get failChat() { return state.failChat; },
    set failChat(value) { state.failChat = value; },
    calls: state.calls,
    classified: state.classified,
    get classifyReply() { return state.classifyReply; },
    set classifyReply(value) { state.classifyReply = value; },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
