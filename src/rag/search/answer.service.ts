/**
 * Answers: retrieve, then generate with citations. When the configured generator (a remote
 * provider) fails, the answer degrades to the extractive generator and says so.
 */
import { isAppError } from '../../platform/errors.js';
import type { Logger } from '../../platform/logger.js';
import type { Metrics } from '../../platform/metrics.js';
import type { Answer, AnswerSource, AnswerStreamEvent, Generator } from '../../ports/generator.port.js';
import type { SearchRequest, SearchResultItem, SearchService } from './search.service.js';

export interface AnswerResult {
  answer: Answer;
  sources: SearchResultItem[];
  degraded: boolean;
  degradedReason: string | null;
}

export type AnswerStreamItem = AnswerStreamEvent | { type: 'degraded'; reason: string } | { type: 'sources'; sources: SearchResultItem[] };

export interface AnswerDeps {
  search: SearchService;
  generator: Generator;
  fallback: Generator;
  metrics: Metrics;
  logger: Logger;
}

const toSources = (items: SearchResultItem[]): AnswerSource[] =>
  items.map((i) => ({ chunkId: i.chunkId, documentId: i.documentId, text: i.text, score: i.score }));

export class AnswerService {
  constructor(private readonly deps: AnswerDeps) {}

  async answer(request: SearchRequest): Promise<AnswerResult> {
    const { items } = await this.deps.search.search(request);
    const params = { query: request.query, sources: toSources(items) };
    try {
      return { answer: await this.deps.generator.generate(params), sources: items, degraded: false, degradedReason: null };
    } catch (error) {
      const reason = this.#degrade(error);
      return { answer: await this.deps.fallback.generate(params), sources: items, degraded: true, degradedReason: reason };
    }
  }

  /**
   * Streams the answer; if the provider fails before finishing, the rest comes from the fallback.
   * `signal` aborts the provider's request (the client went away); nothing more is generated then.
   */
  async *stream(request: SearchRequest, signal?: AbortSignal): AsyncGenerator<AnswerStreamItem> {
    const { items } = await this.deps.search.search(request);
    yield { type: 'sources', sources: items };
    const params = { query: request.query, sources: toSources(items) };
    try {
      for await (const event of this.deps.generator.stream({ ...params, ...(signal ? { signal } : {}) })) yield event;
    } catch (error) {
      if (signal?.aborted) return;
      yield { type: 'degraded', reason: this.#degrade(error) };
      yield { type: 'done', answer: await this.deps.fallback.generate(params) };
    }
  }

  #degrade(error: unknown): string {
    const reason = isAppError(error) ? `${error.code}: ${error.message}` : (error as Error).message;
    this.deps.metrics.degraded.inc({ component: 'generator', reason: isAppError(error) ? error.code : 'error' });
    this.deps.logger.warn({ err: error }, 'generator failed; answering extractively');
    return reason;
  }
}
