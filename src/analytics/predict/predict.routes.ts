/**
 * GET /v1/analytics/users/:userId/predict: the most likely next event types of a person, from the
 * `analytics-predict` projection (a moment behind the log). Reads the person's context row and
 * the counts of its suffixes (at most maxOrder + 1 contexts, each at most PREDICT_READ_TYPES
 * types), then the model's Witten–Bell back-off (markov.ts). Admins ask about any user of their
 * tenant, members about themselves only; a person with no events gets the tenant's distribution.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { scopedUser } from '../../http/auth.plugin.js';
import { ProblemSchema } from '../../http/problem.js';
import { MAX_ID_LENGTH } from '../../platform/ids.js';
import { effectiveContext, interpolatedTopK, SESSION_START, type BackoffLevel, type TypeProbability } from './markov.js';
import { contextOf, continues, suffixKeys } from './predict.consumer.js';
import type { PersonContextRow, PredictStore } from './predict.store.js';

/** Next types read per context: the most frequent; a larger vocabulary is scored on these candidates. */
export const PREDICT_READ_TYPES = 512;
/** Bumped when the projection's counting changes (a replay of analytics-predict then rebuilds it). */
export const PREDICT_MODEL_VERSION = 1;

const Params = Type.Object({ userId: Type.String({ minLength: 1, maxLength: MAX_ID_LENGTH }) });
const Prediction = Type.Object({ type: Type.String(), probability: Type.Number() });
const Response = Type.Object({
  userId: Type.String(),
  predictions: Type.Array(Prediction),
  model: Type.Object({
    name: Type.String({ description: 'markov-<maxOrder>: interpolated Witten–Bell back-off' }),
    maxOrder: Type.Integer(),
    order: Type.Integer({ description: 'length of the longest context found in the counts (0: the tenant\'s overall distribution)' }),
    eventsSeen: Type.Integer({ description: 'events of the tenant counted so far' }),
    version: Type.Integer(),
  }),
  context: Type.Object({
    types: Type.Array(Type.String(), { description: 'the types of the context used, oldest first' }),
    sessionStart: Type.Boolean({ description: 'whether the context starts at the start of a session' }),
  }),
});

export interface PredictRouteOptions {
  store: PredictStore;
  maxOrder: number;
  gapMs: number;
  /** The person's actors (the user id, then the ids stitched to it); the user id alone without it. */
  actorsOf?: (tenantId: string, userId: string) => Promise<string[]>;
  now?: () => number;
}

/** Stitched ids whose contexts are read for one prediction (the most recently linked). */
const ACTORS_READ = 10;

export interface Prediction { predictions: TypeProbability[]; order: number; eventsSeen: number; types: string[]; sessionStart: boolean }

/**
 * The prediction for a person: from their context when their session may still go on (its latest
 * event within the gap of now), from the session start when it has ended, from the tenant's
 * overall distribution when they have no events.
 */
export async function predictFor(options: PredictRouteOptions, tenantId: string, userId: string, k: number): Promise<Prediction> {
  const { store, maxOrder, gapMs } = options;
  // The person's latest context, whichever of their ids it was kept under (before an identify,
  // the anonymous id's).
  const actors = options.actorsOf ? (await options.actorsOf(tenantId, userId)).slice(0, ACTORS_READ) : [userId];
  let person: PersonContextRow | undefined;
  for (const row of await Promise.all(actors.map((id) => store.person(tenantId, id)))) {
    if (row && (!person || row.lastTime > person.lastTime)) person = row;
  }
  const now = (options.now ?? Date.now)();
  let previous: string[] = [];
  if (person) previous = continues(person, { time: now, sessionId: null, sourceApp: person.sourceApp }, gapMs) ? contextOf(person, maxOrder) : [SESSION_START];
  const symbols = effectiveContext(previous, maxOrder);
  const keys = suffixKeys(symbols);
  const found = await store.levels(tenantId, keys, PREDICT_READ_TYPES);
  // The longest run of suffixes present, like the model's walk down its trie.
  const levels: BackoffLevel[] = [];
  for (const key of keys) {
    const level = found.get(key);
    if (!level || level.total === 0) break;
    levels.push(level);
  }
  const order = Math.max(0, levels.length - 1);
  const used = symbols.slice(symbols.length - order);
  const sessionStart = used[0] === SESSION_START;
  return {
    predictions: levels.length === 0 ? [] : interpolatedTopK(levels, k),
    order, eventsSeen: levels[0]?.total ?? 0, types: sessionStart ? used.slice(1) : [...used], sessionStart,
  };
}

export async function predictRoutes(fastify: FastifyInstance, options: PredictRouteOptions): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.get('/analytics/users/:userId/predict', {
    schema: {
      tags: ['analytics'], summary: 'The most likely next event types of a person (variable-order Markov model of the tenant, within sessions)',
      params: Params,
      querystring: Type.Object({ k: Type.Integer({ minimum: 1, maximum: 20, default: 3 }) }, { additionalProperties: false }),
      response: { 200: Response, 400: ProblemSchema, 403: ProblemSchema },
    },
  }, async (request) => {
    const userId = scopedUser(request.principal, request.params.userId)!;
    const result = await predictFor(options, request.principal.tenant.id, userId, request.query.k);
    return {
      userId, predictions: result.predictions,
      model: { name: `markov-${options.maxOrder}`, maxOrder: options.maxOrder, order: result.order, eventsSeen: result.eventsSeen, version: PREDICT_MODEL_VERSION },
      context: { types: result.types, sessionStart: result.sessionStart },
    };
  });
}
