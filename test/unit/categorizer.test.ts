/**
 * The categorizer's parts without a store: rule specificity, the event text, the softmax
 * confidence and threshold computed by hand, the strict reading of LLM answers, the sender's
 * say, the classifier end to end on the hash embedder (one embed call per batch, labels embedded
 * once per version) with a fake generator in LLM mode (batched prompts, fallback on failure and
 * on unreadable answers), the micro-batch that gathers one turn's calls, the configuration, and
 * the feature host merging the annotations features add to events.
 */
import { describe, expect, it } from 'vitest';
import { createHashEmbedder } from '../../src/adapters/embedder/hash/hash.embedder.js';
import { Classifier } from '../../src/categorizer/classifier.js';
import { bySender, prepare, senderIntent, type CategorizerEvent } from '../../src/categorizer/decide.js';
import { DEFAULT_LABELS, DEFAULT_RULES } from '../../src/categorizer/defaults.js';
import { dataText, eventText, typeText } from '../../src/categorizer/event-text.js';
import { classificationQuery, parseClassification } from '../../src/categorizer/llm.js';
import { MicroBatch } from '../../src/categorizer/micro-batch.js';
import { RuleBook, specificity } from '../../src/categorizer/rules.js';
import { checkLabels, checkRules, effectiveSettings, type Settings } from '../../src/categorizer/settings.js';
import { combine, labelScores, labelVectors, softmax, zeroShot, TEMPERATURE } from '../../src/categorizer/zero-shot.js';
import { loadConfig } from '../../src/config.js';
import { ConsumerRegistry } from '../../src/events/consumers/consumer.registry.js';
import { defineFeature, type FeatureContext } from '../../src/feature.js';
import { FeatureHost } from '../../src/feature-host.js';
import { PrivacyRegistry } from '../../src/identity/privacy.registry.js';
import { AppError } from '../../src/platform/errors.js';
import { createLogger } from '../../src/platform/logger.js';
import type { EmbedParams, Embedder } from '../../src/ports/embedder.port.js';
import type { GenerateParams, Generator } from '../../src/ports/generator.port.js';
import { classifyAnswer } from '../helpers/openai-server.js';

const logger = createLogger('silent', 'test');
const unit = (...values: number[]) => {
  const v = Float32Array.from(values);
  const n = Math.hypot(...values);
  return v.map((x) => x / n);
};

let n = 0;
function event(fields: Partial<CategorizerEvent> = {}): CategorizerEvent {
  n += 1;
  return { id: `e${n}`, tenantId: 't1', type: 'query.executed', userId: 'alice', time: 1, category: 'usage', data: {}, typeDescription: 'A user ran a query against a knowledge source', custom: false, ...fields };
}

/** A hash embedder that counts its calls and texts. */
function countingEmbedder(): Embedder & { calls: EmbedParams[] } {
  const inner = createHashEmbedder();
  const calls: EmbedParams[] = [];
  return { ...inner, calls, embed: (params) => { calls.push(params); return inner.embed(params); } };
}

/** A generator that answers classification prompts as the fake provider does, or fails. */
function fakeGenerator(behaviour: { fail?: boolean; reply?: string } = {}): Generator & { prompts: GenerateParams[] } {
  const prompts: GenerateParams[] = [];
  return {
    kind: 'openai', model: 'fake', prompts, async init() {}, async close() {}, stream: () => { throw new Error('not used'); },
    async generate(params) {
      prompts.push(params);
      if (behaviour.fail) throw new AppError('PROVIDER_UNAVAILABLE', { detail: 'down', category: 'third_party' });
      const prompt = `Sources:\n${params.sources.map((s, i) => `[${i + 1}] ${s.text}`).join('\n\n')}\n\nQuestion: ${params.query}`;
      return { text: behaviour.reply ?? classifyAnswer(prompt).answer, citations: [], generator: 'openai', model: 'fake' };
    },
  };
}

const defaults = (threshold = 0.35): Settings => effectiveSettings(undefined, threshold);

describe('categorizer rules', () => {
  it('lets the most specific pattern win, whatever the order: exact, longer prefix, shorter prefix, *', () => {
    expect(specificity('order.placed')).toBeGreaterThan(specificity('order.items.*'));
    expect(specificity('order.items.*')).toBeGreaterThan(specificity('order.*'));
    expect(specificity('order.*')).toBeGreaterThan(specificity('*'));
    const book = new RuleBook([
      { pattern: '*', category: 'other' }, { pattern: 'order.*', category: 'commerce' },
      { pattern: 'order.items.*', category: 'cart' }, { pattern: 'order.placed', category: 'commerce', intent: 'purchase' },
    ]);
    expect(book.match('order.placed')?.intent).toBe('purchase');
    expect(book.match('order.items.added')?.category).toBe('cart');
    expect(book.match('order.cancelled')?.category).toBe('commerce');
    expect(book.match('page.viewed')?.category).toBe('other');
    expect(new RuleBook([]).match('page.viewed')).toBeNull();
    expect(new RuleBook(DEFAULT_RULES).match('article.created')?.intent).toBe('inventory');
  });

  it('refuses duplicate patterns and names, the reserved name and descriptions of too many lines', () => {
    expect(() => checkRules([{ pattern: 'a.*', category: 'x' }, { pattern: 'a.*', category: 'y' }])).toThrow(/listed twice/);
    expect(() => checkRules([{ pattern: 'a.b', category: 'x', intent: 'unknown' }])).toThrow(/known intent/);
    expect(() => checkLabels([{ name: 'unknown', description: 'x' }])).toThrow(/cannot be a label/);
    expect(() => checkLabels([{ name: 'a', description: 'x' }, { name: 'a', description: 'y' }])).toThrow(/listed twice/);
    expect(() => checkLabels([{ name: 'a', description: Array.from({ length: 9 }, () => 'line').join('\n') }])).toThrow(/9 lines/);
    expect(() => checkLabels([{ name: 'a', description: ' \n ' }])).toThrow(/no text/);
    expect(() => checkLabels(DEFAULT_LABELS)).not.toThrow();
    expect(() => checkRules(DEFAULT_RULES)).not.toThrow();
  });
});

describe('categorizer event text', () => {
  it('reads the type, its description and the string data fields, without ids, digits, e-mail addresses and URL hosts', () => {
    expect(typeText('journal_entry.posted', 'A journal entry was posted')).toBe('journal entry posted. A journal entry was posted');
    expect(typeText('checkout.clicked', null)).toBe('checkout clicked');
    const data = {
      orderId: 'O-1001', url: 'https://shop.example.com/help/returns?topic=refund&page=2', title: 'Rücksendung Bestellung 4711',
      to: 'alice@example.com', total: 99.5, nested: { note: 'cordless drill', deeper: { deepest: { gone: 'too deep' } } }, tags: ['a1', 'urgent'],
    };
    expect(dataText(data)).toBe('help returns topic refund page Rücksendung Bestellung cordless drill urgent');
    expect(eventText('order.cancelled', 'An order was cancelled', 'too late')).toBe('order cancelled. An order was cancelled: too late');
    expect(dataText('just a string')).toBe('just string');
    expect(dataText(null)).toBe('');
    expect(dataText({ text: 'x'.repeat(10_000) })).toHaveLength(200);
    expect(dataText(Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`f${i}`, 'word '.repeat(30)]))).length).toBeLessThanOrEqual(600);
  });
});

describe('categorizer zero-shot', () => {
  it('scores a label by its best line and turns the scores into a softmax confidence', () => {
    const labels = labelVectors(['a', 'b'], [[unit(1, 0, 0), unit(0, 0, 1)], [unit(0, 1, 0)]], 3);
    const v = unit(0.2, 0.6, 0.8);
    expect(labelScores(v, labels).map((s) => Number(s.toFixed(4)))).toEqual([0.7845, 0.5883]);
    const p = softmax([0.7845, 0.5883]);
    const expected = 1 / (1 + Math.exp((0.5883 - 0.7845) / TEMPERATURE));
    expect(p[0]).toBeCloseTo(expected, 10);
    expect(p[0]! + p[1]!).toBeCloseTo(1, 12);
    expect(zeroShot(v, labels, 0.5)).toEqual({ intent: 'a', best: 0, confidence: Math.round(expected * 10_000) / 10_000 });
    expect(zeroShot(v, labels, 0.99).intent).toBe('unknown');
    expect(zeroShot(v, labelVectors([], [], 3), 0.1)).toEqual({ intent: 'unknown', best: -1, confidence: 0 });
    // Equal scores: the first label, half the mass each.
    expect(zeroShot(unit(1, 1, 0), labelVectors(['x', 'y'], [[unit(1, 0, 0)], [unit(0, 1, 0)]], 3), 0.5)).toEqual({ intent: 'x', best: 0, confidence: 0.5 });
  });

  it('adds the type\'s and the data\'s vectors into one of unit length', () => {
    const v = combine(unit(1, 0), unit(0, 1));
    expect([...v].map((x) => Number(x.toFixed(6)))).toEqual([0.707107, 0.707107]);
    const alone = unit(3, 4);
    expect(combine(alone, null)).toBe(alone);
  });
});

describe('categorizer LLM answers', () => {
  const names = new Set(['purchase', 'support']);
  it('reads one choice per source from the JSON object, fenced or not', () => {
    expect(parseClassification('{"1": {"label": "purchase", "confidence": 0.8}, "2": {"label": "unknown", "confidence": 0.3}}', 2, names))
      .toEqual([{ label: 'purchase', confidence: 0.8 }, { label: 'unknown', confidence: 0.3 }]);
    expect(parseClassification('```json\n{"1": {"label": "support", "confidence": 1}}\n```', 1, names)).toEqual([{ label: 'support', confidence: 1 }]);
  });

  it('gives no choice for what does not hold: prose, other labels, bad confidences, missing or extra keys', () => {
    expect(parseClassification('The first is a purchase.', 1, names)).toEqual([null]);
    expect(parseClassification('Sure! {"1": {"label": "purchase", "confidence": 0.8}}', 1, names)).toEqual([null]);
    expect(parseClassification('{"1": "purchase"}', 1, names)).toEqual([null]);
    expect(parseClassification('{"1": {"label": "shopping", "confidence": 0.8}}', 1, names)).toEqual([null]);
    expect(parseClassification('{"1": {"label": "purchase", "confidence": 1.5}}', 1, names)).toEqual([null]);
    expect(parseClassification('{"1": {"label": "purchase"}}', 1, names)).toEqual([null]);
    expect(parseClassification('{"2": {"label": "purchase", "confidence": 0.5}, "9": {"label": "support", "confidence": 0.5}}', 2, names))
      .toEqual([null, { label: 'purchase', confidence: 0.5 }]);
    expect(parseClassification('[{"label": "purchase", "confidence": 0.5}]', 1, names)).toEqual([null]);
    expect(parseClassification('{"1": {"label": "purchase", "confidence": 0.5}', 1, names)).toEqual([null]);
    expect(parseClassification(`{"1": {"label": "purchase", "confidence": 0.5, "pad": "${'x'.repeat(70_000)}"}}`, 1, names)).toEqual([null]);
  });

  it('lists the labels and the answer format in the question', () => {
    const q = classificationQuery(DEFAULT_LABELS.slice(0, 2), 3);
    expect(q).toContain('- purchase: Buying or ordering something');
    expect(q).toContain(' / Etwas kaufen');
    expect(q).toContain('keys "1" to "3"');
  });
});

describe('categorizer decisions', () => {
  it('keeps what the sender said: data.intent, or its category on a type outside the catalog', () => {
    const prepared = prepare(defaults());
    expect(senderIntent({ intent: '  purchase ' })).toBe('purchase');
    expect(senderIntent({ intent: '' })).toBeNull();
    expect(senderIntent({ intent: 'x'.repeat(65) })).toBeNull();
    expect(senderIntent({ intent: 3 })).toBeNull();
    expect(senderIntent(['intent'])).toBeNull();
    expect(bySender(event({ type: 'checkout.clicked', category: 'shopping', custom: true }), prepared, null))
      .toEqual({ intent: 'shopping', category: 'shopping', confidence: 1, method: 'sender' });
    expect(bySender(event({ data: { intent: 'support' } }), prepared, null)).toEqual({ intent: 'support', category: 'service', confidence: 1, method: 'sender' });
    expect(bySender(event({ data: { intent: 'own-thing' } }), prepared, null)).toEqual({ intent: 'own-thing', category: 'usage', confidence: 1, method: 'sender' });
    // A custom type without the sender's category (`custom`), and a catalog type's own category, are not the sender's say.
    expect(bySender(event({ type: 'checkout.clicked', category: 'custom', custom: true }), prepared, null)).toBeNull();
    expect(bySender(event(), prepared, null)).toBeNull();
  });
});

describe('categorizer classifier', () => {
  it('decides by sender, then rule, then zero-shot, with one embed call for a batch and the labels embedded once per version', async () => {
    const embedder = countingEmbedder();
    const classifier = new Classifier({ embedder, logger });
    const events = [
      event({ type: 'order.placed', typeDescription: 'A customer placed an order', category: 'sales' }),
      event({ data: { query: 'Akkuschrauber kaufen Preis Warenkorb' } }),
      event({ data: { query: 'my order arrived broken, contact customer service' } }),
      event({ data: { query: 'Akkuschrauber kaufen Preis Warenkorb' } }),
      event({ type: 'checkout.clicked', category: 'shop', custom: true, typeDescription: null }),
    ];
    const results = await classifier.classify(events, () => defaults(0));
    expect(results.map((r) => (r instanceof Error ? r.message : [r.intent, r.category, r.method]))).toEqual([
      ['purchase', 'commerce', 'rule'],
      ['purchase', 'commerce', 'embedding'],
      ['support', 'service', 'embedding'],
      ['purchase', 'commerce', 'embedding'],
      ['shop', 'shop', 'sender'],
    ]);
    expect(embedder.calls.map((c) => [c.purpose, c.texts.length])).toEqual([['query', 3], ['document', 24]]);
    // Everything is cached now: the same batch embeds nothing; a new version embeds the labels again.
    await classifier.classify(events, () => defaults(0));
    expect(embedder.calls).toHaveLength(2);
    await classifier.classify(events, () => ({ ...defaults(0), version: 1 }));
    expect(embedder.calls.map((c) => c.purpose)).toEqual(['query', 'document', 'document']);
    // Rules off (the bench's zero-shot-only figure): the order goes to zero-shot too.
    const off = await new Classifier({ embedder, logger, useRules: false }).classify([events[0]!], () => defaults(0));
    expect(off[0]).toMatchObject({ method: 'embedding' });
  });

  it('answers unknown below the threshold, with the category of the rule, else the event\'s', async () => {
    const classifier = new Classifier({ embedder: createHashEmbedder(), logger });
    const settings: Settings = { ...defaults(0.99), rules: [{ pattern: 'query.*', category: 'questions' }] };
    const [withRule, without] = await classifier.classify([event(), event({ type: 'thing.done', typeDescription: null })], () => settings);
    expect(withRule).toMatchObject({ intent: 'unknown', category: 'questions', method: 'embedding' });
    expect(without).toMatchObject({ intent: 'unknown', category: 'usage', method: 'embedding' });
    expect((without as { confidence: number }).confidence).toBeLessThan(0.99);
  });

  it('fails only the events a failing embedder had to classify', async () => {
    const failing: Embedder = { ...createHashEmbedder(), embed: async () => { throw new AppError('PROVIDER_UNAVAILABLE', { detail: 'down' }); } };
    const results = await new Classifier({ embedder: failing, logger }).classify([event({ type: 'order.placed' }), event()], () => defaults());
    expect(results[0]).toMatchObject({ intent: 'purchase', method: 'rule' });
    expect(results[1]).toBeInstanceOf(AppError);
  });

  it('in LLM mode asks several events per prompt, caches the answers and falls back to the embedding result', async () => {
    const generator = fakeGenerator();
    const classifier = new Classifier({ embedder: createHashEmbedder(), logger, generator, llmBatch: 2 });
    expect(classifier.mode).toBe('llm');
    const events = [
      event({ data: { text: 'I need support with the app' } }), event({ data: { text: 'browse the catalog' } }),
      event({ data: { text: 'nothing to see here' } }), event({ type: 'order.placed' }),
    ];
    const results = await classifier.classify(events, () => defaults(0.5));
    expect(results.map((r) => (r instanceof Error ? r : [r.intent, r.method, r.confidence]))).toEqual([
      ['support', 'llm', 0.9], ['browse', 'llm', 0.9], ['unknown', 'llm', 0.2], ['purchase', 'rule', 1],
    ]);
    expect(generator.prompts.map((p) => p.sources.length)).toEqual([2, 1]);
    await classifier.classify(events.slice(0, 3), () => defaults(0.5));
    expect(generator.prompts).toHaveLength(2);

    // Equal texts of one batch are asked once.
    const twice = fakeGenerator();
    const same = [event({ data: { text: 'browse the shop' } }), event({ data: { text: 'browse the shop' } })];
    const both = await new Classifier({ embedder: createHashEmbedder(), logger, generator: twice }).classify(same, () => defaults(0.5));
    expect(both.map((r) => (r instanceof Error ? r : r.intent))).toEqual(['browse', 'browse']);
    expect(twice.prompts.map((p) => p.sources.length)).toEqual([1]);

    const embeddingOnly = await new Classifier({ embedder: createHashEmbedder(), logger }).classify(events, () => defaults(0.5));
    for (const behaviour of [{ fail: true }, { reply: 'I would say support, then browse.' }]) {
      const fallback = await new Classifier({ embedder: createHashEmbedder(), logger, generator: fakeGenerator(behaviour) }).classify(events, () => defaults(0.5));
      expect(fallback).toEqual(embeddingOnly);
    }
  });
});

describe('categorizer micro-batch', () => {
  it('gathers the calls of one turn into one piece of work and settles each call with its own outcome', async () => {
    const batches: number[][] = [];
    const batch = new MicroBatch<number>(async (items) => {
      batches.push(items);
      if (items.includes(99)) throw new Error('all fail');
      return items.map((i) => (i % 2 === 0 ? null : new Error(`odd ${i}`)));
    }, 3);
    const outcomes = await Promise.allSettled([1, 2, 3, 4].map((i) => batch.add(i)));
    expect(batches).toEqual([[1, 2, 3], [4]]);
    expect(outcomes.map((o) => o.status === 'fulfilled' ? 'ok' : (o.reason as Error).message)).toEqual(['odd 1', 'ok', 'odd 3', 'ok']);
    await expect(batch.add(99)).rejects.toThrow('all fail');
    expect(batches).toHaveLength(3);
  });
});

describe('categorizer configuration', () => {
  it('defaults to embedding mode and refuses LLM mode without an OpenAI-compatible generator', () => {
    expect(loadConfig({}, {})).toMatchObject({ CATEGORIZER: 'embedding', CATEGORIZER_THRESHOLD: 0.35, CATEGORIZER_LLM_BATCH: 20 });
    expect(loadConfig({}, { CATEGORIZER: 'llm', GENERATOR: 'openai', CATEGORIZER_THRESHOLD: '0.5' })).toMatchObject({ CATEGORIZER: 'llm', CATEGORIZER_THRESHOLD: 0.5 });
    expect(() => loadConfig({}, { CATEGORIZER: 'llm' })).toThrow(/CATEGORIZER: llm needs GENERATOR=openai/);
    expect(() => loadConfig({}, { CATEGORIZER_THRESHOLD: '1.5' })).toThrow(/CATEGORIZER_THRESHOLD/);
    expect(() => loadConfig({}, { CATEGORIZER: 'magic' })).toThrow(/CATEGORIZER: must be one of embedding, llm/);
  });
});

describe('event annotations of features (FeatureParts.annotateEvents)', () => {
  it('merges what each feature adds per event, in list order, and asks nobody for no events', async () => {
    const asked: string[][] = [];
    const annotating = (name: string, intent: string) => defineFeature({
      name,
      setup: () => ({
        annotateEvents: async (_tenantId: string, ids: string[]) => {
          asked.push(ids);
          return new Map(ids.filter((id) => id !== 'e3').map((id) => [id, { intent: { intent, category: name, confidence: 1, method: 'rule' as const } }]));
        },
      }),
    });
    const host = await FeatureHost.setup([annotating('first', 'a'), defineFeature({ name: 'plain', setup: () => ({}) }), annotating('second', 'b')],
      {} as Omit<FeatureContext, 'featureApi'>, { registry: new ConsumerRegistry(), privacy: new PrivacyRegistry() });
    const notes = await host.annotateEvents('t1', ['e1', 'e3']);
    expect([...notes]).toEqual([['e1', { intent: { intent: 'b', category: 'second', confidence: 1, method: 'rule' } }]]);
    expect(asked).toEqual([['e1', 'e3'], ['e1', 'e3']]);
    expect((await host.annotateEvents('t1', [])).size).toBe(0);
    expect(asked).toHaveLength(2);
  });
});
