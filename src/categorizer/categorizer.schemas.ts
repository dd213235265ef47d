/** TypeBox schemas of the categorizer's routes (validation, types and OpenAPI from one definition). */
import { Type } from 'typebox';
import { LabelSchema, MAX_LABELS, MAX_RULES, RuleSchema, ThresholdSchema } from './settings.js';

export const LabelsBodySchema = Type.Object({
  labels: Type.Array(LabelSchema, { maxItems: MAX_LABELS }),
  threshold: Type.Optional(Type.Union([ThresholdSchema, Type.Null()], { description: 'null or absent: CATEGORIZER_THRESHOLD' })),
}, { additionalProperties: false });

export const RulesBodySchema = Type.Object({
  rules: Type.Array(RuleSchema, { maxItems: MAX_RULES }),
}, { additionalProperties: false });

const Version = Type.Integer({ description: 'The tenant\'s settings version (rules and labels); stored intents carry the version they were computed with' });
const Recompute = {
  replayId: Type.String({ description: 'The replay that recomputes the tenant\'s stored intents (GET /v1/consumers shows its progress)' }),
};

export const LabelsSchema = Type.Object({
  version: Version,
  labels: Type.Array(LabelSchema),
  threshold: ThresholdSchema,
  default: Type.Boolean({ description: 'The built-in labels (the tenant set none)' }),
  thresholdDefault: Type.Boolean({ description: 'The threshold is CATEGORIZER_THRESHOLD (the tenant set none)' }),
  classifier: Type.Object({
    mode: Type.Union([Type.Literal('embedding'), Type.Literal('llm')]),
    embedder: Type.String({ description: 'The embedding model zero-shot compares with' }),
  }),
});

export const RulesSchema = Type.Object({
  version: Version,
  rules: Type.Array(RuleSchema),
  default: Type.Boolean({ description: 'The built-in rules (the tenant set none)' }),
});

export const LabelsChangedSchema = Type.Object({ ...LabelsSchema.properties, ...Recompute });
export const RulesChangedSchema = Type.Object({ ...RulesSchema.properties, ...Recompute });
