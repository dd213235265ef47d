/**
 * `openai` generator: OpenAI-compatible `POST /chat/completions`, whole or streamed (SSE:
 * `data: {json}` lines, ended by `data: [DONE]`). The prompt numbers the sources `[n]` and asks
 * for the same citation format as the extractive generator; citations are parsed from the text.
 */
import { AppError } from '../../../platform/errors.js';
import type { Answer, AnswerSource, AnswerStreamEvent, GenerateParams, Generator } from '../../../ports/generator.port.js';
import { postJson, type OpenAiHttpConfig } from '../../openai/openai.http.js';
import { extractCitations } from '../citations.js';

export interface OpenAiGeneratorConfig extends OpenAiHttpConfig {
  model: string;
  temperature?: number;
  maxTokens?: number;
  /** Characters of each source put in the prompt (default 2,000). */
  maxSourceChars?: number;
}

const SYSTEM_PROMPT =
  'Answer the question using only the numbered sources. Cite every statement with the number of its source in square brackets, like [1] or [2][3]. ' +
  'If the sources do not contain the answer, say so briefly. Answer in the language of the question, in at most a few sentences.';

export function buildMessages(params: GenerateParams, maxSourceChars = 2000): { role: 'system' | 'user'; content: string }[] {
  const sources = params.sources.map((source, i) => `[${i + 1}] ${source.text.slice(0, maxSourceChars)}`).join('\n\n');
  return [
    { role: 'system', content: SYSTEM_PROMPT },
    { role: 'user', content: `Sources:\n${sources || '(none)'}\n\nQuestion: ${params.query}` },
  ];
}

/** Parses an SSE byte stream into the `data:` payloads of its events. */
export async function* sseData(body: ReadableStream<Uint8Array>): AsyncIterable<string> {
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const bytes of body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(bytes, { stream: true });
    let end: number;
    while ((end = buffer.search(/\r?\n\r?\n/)) !== -1) {
      const event = buffer.slice(0, end);
      buffer = buffer.slice(end).replace(/^\r?\n\r?\n/, '');
      const data = event
        .split(/\r?\n/)
        .filter((line) => line.startsWith('data:'))
        .map((line) => line.slice(5).replace(/^ /, ''))
        .join('\n');
      if (data) yield data;
    }
  }
}

function answerOf(text: string, sources: AnswerSource[], model: string): Answer {
  return { text: text.trim(), citations: extractCitations(text, sources), generator: 'openai', model };
}

export function createOpenAiGenerator(config: OpenAiGeneratorConfig): Generator {
  const body = (params: GenerateParams, stream: boolean) => ({
    model: config.model,
    messages: buildMessages(params, config.maxSourceChars),
    stream,
    ...(config.temperature === undefined ? {} : { temperature: config.temperature }),
    ...(config.maxTokens === undefined ? {} : { max_tokens: config.maxTokens }),
  });
  return {
    kind: 'openai',
    model: config.model,
    async init() {},
    async close() {},
    async generate(params) {
      const response = await postJson(config, '/chat/completions', body(params, false), params.signal);
      const json = (await response.json()) as { choices?: { message?: { content?: string } }[] };
      const content = json.choices?.[0]?.message?.content;
      if (typeof content !== 'string') throw new AppError('PROVIDER_UNAVAILABLE', { detail: 'chat completion without content', category: 'third_party', details: { retryable: false } });
      return answerOf(content, params.sources, config.model);
    },
    async *stream(params): AsyncIterable<AnswerStreamEvent> {
      const response = await postJson(config, '/chat/completions', body(params, true), params.signal);
      if (!response.body) throw new AppError('PROVIDER_UNAVAILABLE', { detail: 'stream without body', category: 'third_party' });
      let text = '';
      for await (const data of sseData(response.body)) {
        if (data === '[DONE]') break;
        const chunk = JSON.parse(data) as { choices?: { delta?: { content?: string } }[]; error?: { message?: string } };
        if (chunk.error) throw new AppError('PROVIDER_UNAVAILABLE', { detail: `stream error: ${chunk.error.message ?? 'unknown'}`, category: 'third_party' });
        const delta = chunk.choices?.[0]?.delta?.content;
        if (delta) {
          text += delta;
          yield { type: 'delta', text: delta };
        }
      }
      yield { type: 'done', answer: answerOf(text, params.sources, config.model) };
    },
  };
}
