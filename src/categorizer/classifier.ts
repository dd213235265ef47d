/**
 * Classifies a batch of events: the sender's say, then the rule, then zero-shot by embeddings
 * (one embed call for the batch's texts not seen before, label vectors cached per tenant and
 * settings version) and, in LLM mode, the generator (several events per prompt) with the
 * embedding result standing in wherever it gives no valid answer.
 */
import { LRUCache } from 'lru-cache';
import type { Logger } from '../platform/logger.js';
import type { Embedder } from '../ports/embedder.port.js';
import type { Generator } from '../ports/generator.port.js';
import { byRule, bySender, prepare, withCategory, type CategorizerEvent, type Classification, type PreparedSettings } from './decide.js';
import { dataText, eventText, typeText } from './event-text.js';
import { classificationQuery, classificationSources, parseClassification, type LlmChoice } from './llm.js';
import { labelTexts, UNKNOWN, type Settings } from './settings.js';
import { combine, labelVectors, round4, zeroShot, type LabelVectors, type ZeroShotResult } from './zero-shot.js';

export interface ClassifierOptions {
  embedder: Embedder;
  logger: Logger;
  /** Set in LLM mode (CATEGORIZER=llm): the configured generator, behind its resilience policy. */
  generator?: Generator;
  /** Events per LLM prompt (CATEGORIZER_LLM_BATCH). */
  llmBatch?: number;
  /** False leaves the rules out (the accuracy bench measures zero-shot alone). */
  useRules?: boolean;
}

/** What the classifier must still decide for one event. */
interface Open {
  index: number;
  event: CategorizerEvent;
  prepared: PreparedSettings;
  rule: ReturnType<PreparedSettings['rules']['match']>;
  typeText: string;
  dataText: string;
}

const VECTOR_CACHE_BYTES = 32 * 1024 * 1024;

export class Classifier {
  readonly #vectors = new LRUCache<string, Float32Array>({ maxSize: VECTOR_CACHE_BYTES, sizeCalculation: (v) => v.byteLength + 64 });
  readonly #labels = new LRUCache<string, LabelVectors>({ max: 500 });
  readonly #prepared = new LRUCache<string, PreparedSettings>({ max: 500 });
  readonly #llmAnswers = new LRUCache<string, LlmChoice>({ max: 10_000 });
  /** Zero-shot results by tenant, settings version and texts: repeated texts (most traffic) cost a lookup. */
  readonly #results = new LRUCache<string, ZeroShotResult>({ max: 20_000 });

  constructor(private readonly options: ClassifierOptions) {}

  get mode(): 'embedding' | 'llm' {
    return this.options.generator ? 'llm' : 'embedding';
  }

  /**
   * One result per event, in order: its classification, or the error that kept it from one (a
   * failing embedder); events the sender or a rule decided never fail.
   */
  async classify(events: readonly CategorizerEvent[], settingsOf: (tenantId: string) => Settings, signal?: AbortSignal): Promise<Array<Classification | Error>> {
    const results: Array<Classification | Error> = new Array(events.length);
    const open: Open[] = [];
    events.forEach((event, index) => {
      const prepared = this.#prepare(event.tenantId, settingsOf(event.tenantId));
      const rule = this.options.useRules === false ? null : prepared.rules.match(event.type);
      const decided = bySender(event, prepared, rule) ?? byRule(rule);
      if (decided) results[index] = decided;
      else open.push({ index, event, prepared, rule, typeText: typeText(event.type, event.typeDescription), dataText: dataText(event.data) });
    });
    if (open.length === 0) return results;
    try {
      const choices = await this.#zeroShot(open, signal);
      if (this.options.generator) await this.#llm(open, choices, signal);
      open.forEach((o, i) => { results[o.index] = withCategory(o.event, o.prepared, o.rule, choices[i]!); });
    } catch (error) {
      for (const o of open) results[o.index] = error instanceof Error ? error : new Error(String(error));
    }
    return results;
  }

  #prepare(tenantId: string, settings: Settings): PreparedSettings {
    const key = `${tenantId}\u0000${settings.version}`;
    let prepared = this.#prepared.get(key);
    if (!prepared || prepared.settings.threshold !== settings.threshold) {
      prepared = prepare(settings);
      this.#prepared.set(key, prepared);
    }
    return prepared;
  }

  /** Zero-shot for each open event: its texts' vectors (one embed call for those not cached) against its tenant's labels. */
  async #zeroShot(open: Open[], signal?: AbortSignal): Promise<Array<{ intent: string; confidence: number; method: 'embedding' | 'llm' }>> {
    const keys = open.map((o) => `${o.event.tenantId}\u0000${o.prepared.settings.version}\u0000${o.typeText}\u0000${o.dataText}`);
    const known = keys.map((key) => this.#results.get(key));
    const texts = new Set<string>();
    open.forEach((o, i) => {
      if (known[i]) return;
      if (!this.#vectors.has(o.typeText)) texts.add(o.typeText);
      if (o.dataText && !this.#vectors.has(o.dataText)) texts.add(o.dataText);
    });
    const fetched = new Map<string, Float32Array>();
    if (texts.size > 0) {
      const list = [...texts];
      const vectors = await this.options.embedder.embed({ texts: list, purpose: 'query', ...(signal ? { signal } : {}) });
      list.forEach((text, i) => { fetched.set(text, vectors[i]!); this.#vectors.set(text, vectors[i]!); });
    }
    const vectorOf = (text: string) => fetched.get(text) ?? this.#vectors.get(text)!;
    const labels = known.every(Boolean) ? new Map<string, LabelVectors>() : await this.#labelVectors(open, signal);
    return open.map((o, i) => {
      let result = known[i];
      if (!result) {
        const vector = combine(vectorOf(o.typeText), o.dataText ? vectorOf(o.dataText) : null);
        result = zeroShot(vector, labels.get(o.event.tenantId)!, o.prepared.settings.threshold);
        this.#results.set(keys[i]!, result);
      }
      return { intent: result.intent, confidence: result.confidence, method: 'embedding' as const };
    });
  }

  /** Each tenant's label vectors (embedded once per settings version, one call for every tenant missing). */
  async #labelVectors(open: Open[], signal?: AbortSignal): Promise<Map<string, LabelVectors>> {
    const out = new Map<string, LabelVectors>();
    const missing = new Map<string, { key: string; settings: Settings }>();
    for (const o of open) {
      const key = `${o.event.tenantId}\u0000${o.prepared.settings.version}`;
      const cached = this.#labels.get(key);
      if (cached) out.set(o.event.tenantId, cached);
      else missing.set(o.event.tenantId, { key, settings: o.prepared.settings });
    }
    if (missing.size === 0) return out;
    const lines = [...missing.values()].flatMap(({ settings }) => settings.labels.flatMap(labelTexts));
    const vectors = lines.length > 0 ? await this.options.embedder.embed({ texts: lines, purpose: 'document', ...(signal ? { signal } : {}) }) : [];
    let next = 0;
    for (const [tenantId, { key, settings }] of missing) {
      const lineVectors = settings.labels.map((l) => labelTexts(l).map(() => vectors[next++]!));
      const value = labelVectors(settings.labels.map((l) => l.name), lineVectors, vectors[0]?.length ?? 0);
      this.#labels.set(key, value);
      out.set(tenantId, value);
    }
    return out;
  }

  /** LLM mode: replaces each zero-shot choice the generator answers validly for (cached per tenant, version and text; equal texts asked once). */
  async #llm(open: Open[], choices: Array<{ intent: string; confidence: number; method: 'embedding' | 'llm' }>, signal?: AbortSignal): Promise<void> {
    const asked = new Map<string, { tenantId: string; text: string; id: string; at: number[]; settings: Settings }>();
    open.forEach((o, i) => {
      const text = eventText(o.event.type, o.event.typeDescription, o.dataText);
      const key = `${o.event.tenantId}\u0000${o.prepared.settings.version}\u0000${text}`;
      const known = this.#llmAnswers.get(key);
      if (known) choices[i] = this.#llmChoice(known, o.prepared.settings.threshold);
      else if (asked.has(key)) asked.get(key)!.at.push(i);
      else asked.set(key, { tenantId: o.event.tenantId, text, id: o.event.id, at: [i], settings: o.prepared.settings });
    });
    const batch = Math.max(1, this.options.llmBatch ?? 20);
    const byTenant = new Map<string, Array<[string, { text: string; id: string; at: number[]; settings: Settings }]>>();
    for (const entry of asked) {
      const list = byTenant.get(entry[1].tenantId);
      if (list) list.push(entry);
      else byTenant.set(entry[1].tenantId, [entry]);
    }
    for (const group of byTenant.values()) {
      for (let start = 0; start < group.length; start += batch) {
        const part = group.slice(start, start + batch);
        const settings = part[0]![1].settings;
        const answers = await this.#ask(settings, part.map(([, p]) => ({ id: p.id, text: p.text })), signal);
        part.forEach(([key, p], i) => {
          const answer = answers[i];
          if (!answer) return;
          this.#llmAnswers.set(key, answer);
          for (const at of p.at) choices[at] = this.#llmChoice(answer, settings.threshold);
        });
      }
    }
  }

  #llmChoice(answer: LlmChoice, threshold: number): { intent: string; confidence: number; method: 'llm' } {
    const confidence = round4(answer.confidence);
    return { intent: confidence >= threshold ? answer.label : UNKNOWN, confidence, method: 'llm' };
  }

  /** One prompt; a failed call or an unreadable answer gives no choices (the embedding results stand). */
  async #ask(settings: Settings, events: Array<{ id: string; text: string }>, signal?: AbortSignal): Promise<Array<LlmChoice | null>> {
    try {
      const answer = await this.options.generator!.generate({
        query: classificationQuery(settings.labels, events.length), sources: classificationSources(events), ...(signal ? { signal } : {}),
      });
      const choices = parseClassification(answer.text, events.length, new Set(settings.labels.map((l) => l.name)));
      const missing = choices.filter((c) => c === null).length;
      if (missing > 0) this.options.logger.warn({ events: events.length, unanswered: missing }, 'the LLM classifier gave no valid answer for some events; their embedding results stand');
      return choices;
    } catch (error) {
      if (signal?.aborted) throw error;
      this.options.logger.warn({ err: error, events: events.length }, 'the LLM classifier failed; the embedding results stand');
      return events.map(() => null);
    }
  }
}
