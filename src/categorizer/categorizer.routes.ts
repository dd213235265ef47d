/**
 * Admin routes of a tenant's categorizer settings: `GET/PUT/DELETE /v1/categorizer/labels` and
 * `…/rules`. A change bumps the tenant's version and replays the categorizer for the tenant, so
 * its stored intents are recomputed with the new settings (answered 202 with the replay's id).
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { ReplayService } from '../events/replay.service.js';
import { MAX_OPEN_REPLAYS } from '../events/replay.service.js';
import { ADMIN_ONLY } from '../http/auth.plugin.js';
import { ProblemSchema } from '../http/problem.js';
import { AppError } from '../platform/errors.js';
import type { Store } from '../ports/store.port.js';
import { CATEGORIZER_CONSUMER } from './categorizer.consumer.js';
import { LabelsBodySchema, LabelsChangedSchema, LabelsSchema, RulesBodySchema, RulesChangedSchema, RulesSchema } from './categorizer.schemas.js';
import type { CategorizerStore, SettingsChange } from './categorizer.store.js';
import { checkLabels, checkRules, effectiveSettings, type Settings } from './settings.js';

export interface CategorizerRoutesOptions {
  store: CategorizerStore;
  /** The backbone store (open replay cursors). */
  backbone: Store;
  replay: ReplayService;
  defaultThreshold: number;
  mode: 'embedding' | 'llm';
  embedderModel: string;
}

const tags = ['categorizer'];

export async function categorizerRoutes(fastify: FastifyInstance, options: CategorizerRoutesOptions): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { store, replay, backbone, defaultThreshold } = options;

  const current = async (tenantId: string): Promise<Settings> =>
    effectiveSettings((await store.settings([tenantId])).get(tenantId), defaultThreshold);

  /** Saves the change and replays the categorizer for the tenant (refused first when too many replays run). */
  const change = async (tenantId: string, what: SettingsChange): Promise<{ settings: Settings; replayId: string }> => {
    const open = new Set((await backbone.replays.openCursors(tenantId)).filter((c) => c.consumer === CATEGORIZER_CONSUMER).map((c) => c.id));
    if (open.size >= MAX_OPEN_REPLAYS) {
      throw new AppError('REPLAY_LIMIT_REACHED', { detail: `${open.size} recomputations of this tenant's intents are running; wait for one to finish` });
    }
    const settings = effectiveSettings(await store.updateSettings(tenantId, what, Date.now()), defaultThreshold);
    const { replayId } = await replay.replay(tenantId, CATEGORIZER_CONSUMER, {});
    return { settings, replayId };
  };

  const labelsOf = (s: Settings) => ({
    version: s.version, labels: [...s.labels], threshold: s.threshold, default: !s.custom.labels, thresholdDefault: !s.custom.threshold,
    classifier: { mode: options.mode, embedder: options.embedderModel },
  });
  const rulesOf = (s: Settings) => ({ version: s.version, rules: [...s.rules], default: !s.custom.rules });
  const admin = { roles: ADMIN_ONLY };
  const problems = { 400: ProblemSchema, 403: ProblemSchema, 429: ProblemSchema };

  app.get('/categorizer/labels', {
    config: admin,
    schema: { tags, summary: 'The tenant\'s intent labels and threshold', response: { 200: LabelsSchema, 403: ProblemSchema } },
  }, async (request) => labelsOf(await current(request.principal.tenant.id)));

  app.put('/categorizer/labels', {
    config: admin,
    schema: { tags, summary: 'Replace the tenant\'s labels (and threshold); recomputes its intents', body: LabelsBodySchema, response: { 202: LabelsChangedSchema, ...problems } },
  }, async (request, reply) => {
    checkLabels(request.body.labels);
    const { settings, replayId } = await change(request.principal.tenant.id, { labels: request.body.labels, threshold: request.body.threshold ?? null });
    request.log.info({ version: settings.version, labels: settings.labels.length }, 'categorizer labels changed');
    return reply.status(202).send({ ...labelsOf(settings), replayId });
  });

  app.delete('/categorizer/labels', {
    config: admin,
    schema: { tags, summary: 'Back to the built-in labels and CATEGORIZER_THRESHOLD; recomputes the tenant\'s intents', response: { 202: LabelsChangedSchema, ...problems } },
  }, async (request, reply) => {
    const { settings, replayId } = await change(request.principal.tenant.id, { labels: null, threshold: null });
    return reply.status(202).send({ ...labelsOf(settings), replayId });
  });

  app.get('/categorizer/rules', {
    config: admin,
    schema: { tags, summary: 'The tenant\'s rules: event type pattern → category (and intent)', response: { 200: RulesSchema, 403: ProblemSchema } },
  }, async (request) => rulesOf(await current(request.principal.tenant.id)));

  app.put('/categorizer/rules', {
    config: admin,
    schema: { tags, summary: 'Replace the tenant\'s rules; recomputes its intents', body: RulesBodySchema, response: { 202: RulesChangedSchema, ...problems } },
  }, async (request, reply) => {
    checkRules(request.body.rules);
    const { settings, replayId } = await change(request.principal.tenant.id, { rules: request.body.rules });
    request.log.info({ version: settings.version, rules: settings.rules.length }, 'categorizer rules changed');
    return reply.status(202).send({ ...rulesOf(settings), replayId });
  });

  app.delete('/categorizer/rules', {
    config: admin,
    schema: { tags, summary: 'Back to the built-in rules; recomputes the tenant\'s intents', response: { 202: RulesChangedSchema, ...problems } },
  }, async (request, reply) => {
    const { settings, replayId } = await change(request.principal.tenant.id, { rules: null });
    return reply.status(202).send({ ...rulesOf(settings), replayId });
  });
}
