/**
 * Recall: a user's most relevant past messages. One hybrid search of the tenant's chat-messages
 * collection through the retrieval feature, run with that user's member view (the index query
 * itself holds `userId = <user>`, for admins too: recall is always of one user), optionally
 * narrowed to a chat and a time range (filters inside the index query as well). The hits are
 * over-fetched, weighted by recency (score × 0.5^(age / half-life)), reduced to the best chunk
 * of each message, re-ranked, and checked against memory's tables (a message whose chat was
 * deleted a moment ago is not returned even if the index still has it).
 */
import { AppError } from '../platform/errors.js';
import type { Filter } from '../ports/search-filter.js';
import type { RetrievalApi } from '../rag/retrieval.feature.js';
import type { SearchResultItem } from '../rag/search/search.service.js';
import { CHAT_COLLECTION } from './chat-index.js';
import type { MemoryStore, Message } from './memory.store.js';

/** Hits fetched per wanted result: room for chunks of one message and for re-ranking by age. */
const OVERFETCH = 4;
const FETCH_MAX = 200;
const DAY_MS = 86_400_000;

export interface RecallRequest {
  tenantId: string;
  userId: string;
  query: string;
  limit: number;
  chatId?: string;
  from?: number;
  to?: number;
  /** The time ages are measured from (default now). */
  now?: number;
}

export interface RecallItem {
  message: Message;
  score: number;
  highlight: string;
}

/** The weight of a hit `ageMs` old: 1 now, ½ after one half-life; future times count as now. */
export function recencyWeight(ageMs: number, halfLifeMs: number): number {
  return 0.5 ** (Math.max(0, ageMs) / halfLifeMs);
}

function filterOf(request: RecallRequest): Filter | undefined {
  const parts: Filter[] = [];
  if (request.chatId !== undefined) parts.push({ eq: { chatId: request.chatId } });
  if (request.from !== undefined || request.to !== undefined) {
    parts.push({ range: { createdAt: { ...(request.from === undefined ? {} : { gte: request.from }), ...(request.to === undefined ? {} : { lte: request.to }) } } });
  }
  return parts.length === 0 ? undefined : parts.length === 1 ? parts[0] : { and: parts };
}

export class RecallService {
  readonly #halfLifeMs: number;

  constructor(private readonly deps: { retrieval: RetrievalApi; store: MemoryStore; halfLifeDays: number }) {
    this.#halfLifeMs = deps.halfLifeDays * DAY_MS;
  }

  get halfLifeDays(): number {
    return this.deps.halfLifeDays;
  }

  async recall(request: RecallRequest): Promise<RecallItem[]> {
    const hits = await this.#search(request);
    const now = request.now ?? Date.now();
    // The best chunk of each message, weighted by the message's age.
    const best = new Map<string, { hit: SearchResultItem; score: number }>();
    for (const hit of hits) {
      const createdAt = typeof hit.metadata.createdAt === 'number' ? hit.metadata.createdAt : null;
      if (createdAt === null) continue; // not one of memory's messages (the template's message.sent documents)
      const score = hit.score * recencyWeight(now - createdAt, this.#halfLifeMs);
      const seen = best.get(hit.documentId);
      if (!seen || seen.score < score) best.set(hit.documentId, { hit, score });
    }
    const ranked = [...best.values()].sort((a, b) => b.score - a.score || (a.hit.documentId < b.hit.documentId ? 1 : -1));
    const messages = new Map((await this.deps.store.messagesByIds(request.tenantId, ranked.map((r) => r.hit.documentId))).map((m) => [m.id, m]));
    const items: RecallItem[] = [];
    for (const { hit, score } of ranked) {
      const message = messages.get(hit.documentId);
      // The index query already held the user; the row is checked too (deleted chats, defence in depth).
      if (!message || message.userId !== request.userId) continue;
      items.push({ message, score, highlight: hit.highlight });
      if (items.length === request.limit) break;
    }
    return items;
  }

  async #search(request: RecallRequest): Promise<SearchResultItem[]> {
    const { retrieval } = this.deps;
    try {
      const result = await retrieval.search.search({
        tenantId: request.tenantId, viewer: { role: 'member', userId: request.userId }, query: request.query, collections: [CHAT_COLLECTION],
        filter: filterOf(request), limit: Math.min(request.limit * OVERFETCH, FETCH_MAX), mode: 'hybrid',
      });
      return result.items;
    } catch (error) {
      // No collection: no message was written in this tenant yet. One made by an admin without
      // memory's fields (createdAt not filterable) holds none of memory's messages yet.
      if (error instanceof AppError && (error.code === 'NOT_FOUND' || error.code === 'VALIDATION_FAILED')) return [];
      throw error;
    }
  }
}
