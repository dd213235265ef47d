/**
 * Accuracy of the intent categorizer on a labelled set built from the built-in catalog's types
 * (labelled-set.ts): the real classifier (src/categorizer/classifier.ts) with the default
 * labels and the configured default embedder (`hash`), zero-shot alone (rules off) and rules +
 * zero-shot; accuracy, macro-F1 and the unknown rate at the default threshold, a threshold
 * sweep, accuracy per confidence bin, per language and per kind of type, and the classifier's
 * cost per event. LLM mode is not measured here (no real provider on this machine; the local
 * fake provider says nothing about quality).
 *
 *   node --import tsx bench/categorizer/run.ts [--no-write] [--threshold 0.35]
 */
import { cpus, loadavg, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { createHashEmbedder } from '../../src/adapters/embedder/hash/hash.embedder.js';
import { Classifier } from '../../src/categorizer/classifier.js';
import type { CategorizerEvent } from '../../src/categorizer/decide.js';
import { DEFAULT_RULES } from '../../src/categorizer/defaults.js';
import { RuleBook } from '../../src/categorizer/rules.js';
import { effectiveSettings, UNKNOWN } from '../../src/categorizer/settings.js';
import { loadConfig } from '../../src/config.js';
import { BUILT_IN_BY_TYPE, BUILT_IN_TYPES } from '../../src/events/catalog/builtin-types.js';
import { createLogger } from '../../src/platform/logger.js';
import { LABELLED_SET, type LabelledEvent } from './labelled-set.js';
import { figures, reliability, type Figures, type Scored } from './metrics.js';
import { writeSection } from './section.js';

const { values } = parseArgs({ options: { 'no-write': { type: 'boolean' }, threshold: { type: 'string' } } });
const threshold = values.threshold === undefined ? loadConfig({}, {}).CATEGORIZER_THRESHOLD : Number(values.threshold);
const logger = createLogger('silent', 'bench');
const embedder = createHashEmbedder();
const log = (line = '') => console.log(line);
const pct = (x: number) => `${(x * 100).toFixed(1)} %`;

// The catalog grows: types without labelled events are named in the report, labelled events of types it no longer has are left out.
const missing = BUILT_IN_TYPES.filter((t) => !LABELLED_SET.some((l) => l.type === t.type)).map((t) => t.type);
const SET = LABELLED_SET.filter((l) => BUILT_IN_BY_TYPE.has(l.type));
const covered = new Set(SET.map((l) => l.type)).size;

const toEvent = (l: LabelledEvent, i: number): CategorizerEvent => {
  const t = BUILT_IN_BY_TYPE.get(l.type)!;
  return { id: `e${i}`, tenantId: 'bench', type: l.type, userId: 'u', time: 0, category: t.category, data: l.data, typeDescription: t.description, custom: false };
};
const events = SET.map(toEvent);
const defaults = effectiveSettings(undefined, 0);
const ruled = new RuleBook(DEFAULT_RULES);
const ambiguous = (l: LabelledEvent) => ruled.match(l.type)?.intent === undefined;

/** Classifies the set at threshold 0 (every event answered); thresholds are applied afterwards, as zero-shot does. */
async function run(useRules: boolean): Promise<Array<Scored & { method: string }>> {
  const results = await new Classifier({ embedder, logger, useRules }).classify(events, () => defaults);
  return results.map((r, i) => {
    if (r instanceof Error) throw r;
    return { expected: SET[i]!.expected, predicted: r.intent, confidence: r.confidence, method: r.method };
  });
}

const at = (scored: Array<Scored & { method: string }>, t: number): Scored[] =>
  scored.map((s) => ({ ...s, predicted: s.method === 'embedding' && s.confidence < t ? UNKNOWN : s.predicted }));

const zeroShot = await run(false);
const withRules = await run(true);

const row = (name: string, f: Figures) => `| ${name} | ${f.n} | **${pct(f.accuracy)}** | ${f.macroF1.toFixed(3)} | ${pct(f.unknownRate)} | ${pct(f.answeredAccuracy)} |`;
const subset = (scored: Scored[], keep: (l: LabelledEvent) => boolean) => scored.filter((_, i) => keep(SET[i]!));

const lines: string[] = [];
const out = (line = '') => { lines.push(line); log(line); };
const date = new Date().toISOString().slice(0, 10);
out(`Measured ${date} on ${cpus().length} cores (${cpus()[0]?.model.trim() ?? 'unknown CPU'}), ${Math.round(totalmem() / 2 ** 30)} GB, Node ${process.version}; \`node --import tsx bench/categorizer/run.ts\`.`);
out(`Labelled set: ${SET.length} events of ${covered} of the ${BUILT_IN_TYPES.length} built-in types${missing.length ? ` (none yet of ${missing.map((t) => `\`${t}\``).join(', ')})` : ''} (${SET.filter((l) => l.lang === 'en').length} English, ${SET.filter((l) => l.lang === 'de').length} German), `
  + `${new Set(SET.map((l) => l.expected)).size} expected intents of the 12 default labels; ${SET.filter(ambiguous).length} events are of the types no default rule decides. `
  + `Embedder \`${embedder.model}\` (the default \`hash\`), default labels, threshold ${threshold} (CATEGORIZER_THRESHOLD's default).`);
out();
out('| classifier | events | accuracy | macro-F1 | unknown | accuracy of the answered |');
out('|---|---|---|---|---|---|');
out(row('zero-shot alone (rules off)', figures(at(zeroShot, threshold))));
out(row('zero-shot alone, types no rule decides', figures(subset(at(zeroShot, threshold), ambiguous))));
out(row('zero-shot alone, English', figures(subset(at(zeroShot, threshold), (l) => l.lang === 'en'))));
out(row('zero-shot alone, German', figures(subset(at(zeroShot, threshold), (l) => l.lang === 'de'))));
out(row('rules + zero-shot (the default)', figures(at(withRules, threshold))));
out(row('rules + zero-shot, English', figures(subset(at(withRules, threshold), (l) => l.lang === 'en'))));
out(row('rules + zero-shot, German', figures(subset(at(withRules, threshold), (l) => l.lang === 'de'))));
out();
out('Threshold sweep (zero-shot alone / rules + zero-shot):');
out();
out('| threshold | accuracy | macro-F1 | unknown | accuracy of the answered |');
out('|---|---|---|---|---|');
for (const t of [0, 0.2, 0.35, 0.5, 0.7, 0.9]) {
  const [a, b] = [figures(at(zeroShot, t)), figures(at(withRules, t))];
  out(`| ${t}${t === threshold ? ' (default)' : ''} | ${pct(a.accuracy)} / ${pct(b.accuracy)} | ${a.macroF1.toFixed(3)} / ${b.macroF1.toFixed(3)} | ${pct(a.unknownRate)} / ${pct(b.unknownRate)} | ${pct(a.answeredAccuracy)} / ${pct(b.answeredAccuracy)} |`);
}
out();
out('Calibration of zero-shot alone (every event answered): accuracy per confidence bin.');
out();
out('| confidence | events | mean confidence | accuracy |');
out('|---|---|---|---|');
for (const bin of reliability(zeroShot, [0, 0.2, 0.35, 0.5, 0.7, 0.9, 1])) {
  out(`| [${bin.from}, ${bin.to}${bin.to === 1 ? ']' : ')'} | ${bin.n} | ${bin.n ? bin.meanConfidence.toFixed(2) : '–'} | ${bin.n ? pct(bin.accuracy) : '–'} |`);
}

// Per type of the types no default rule decides (their events go to zero-shot in both modes).
const perType = new Map<string, { right: number; n: number }>();
at(withRules, threshold).forEach((s, i) => {
  const l = SET[i]!;
  if (!ambiguous(l)) return;
  const entry = perType.get(l.type) ?? { right: 0, n: 0 };
  entry.n += 1;
  if (s.predicted === s.expected) entry.right += 1;
  perType.set(l.type, entry);
});
out();
out(`Right answers per type no default rule decides, at ${threshold}: ${[...perType].map(([type, { right, n }]) => `\`${type}\` ${right}/${n}`).join(', ')}.`);

// Confusions of zero-shot alone, the most frequent first.
const confusions = new Map<string, number>();
for (const s of at(zeroShot, threshold)) if (s.predicted !== s.expected) confusions.set(`${s.expected} → ${s.predicted}`, (confusions.get(`${s.expected} → ${s.predicted}`) ?? 0) + 1);
out();
out(`Most frequent errors of zero-shot alone at ${threshold} (expected → answered): ${[...confusions].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, 8).map(([k, n]) => `${k} ×${n}`).join(', ')}.`);

// Cost per event: texts never seen (every event's data made unique with a letter suffix, since digits are stripped), then the same again (cached).
const word = (i: number) => `zq${i.toString(26).replace(/[0-9]/g, (d) => String.fromCharCode(97 + Number(d)))}`;
const many = Array.from({ length: 20 }, (_, r) => SET.map((l, i) => toEvent({ ...l, data: { ...l.data, note: word(r * 1000 + i) } }, r * 1000 + i))).flat();
const timed = async (classifier: Classifier) => {
  const started = performance.now();
  for (let i = 0; i < many.length; i += 256) await classifier.classify(many.slice(i, i + 256), () => defaults);
  return ((performance.now() - started) * 1000) / many.length;
};
const classifier = new Classifier({ embedder, logger });
const cold = await timed(classifier);
const warm = await timed(classifier);
out();
out(`Cost of classifying (rules + zero-shot, batches of 256, this process): ${cold.toFixed(1)} µs per event whose data text is new (embedded), ${warm.toFixed(1)} µs per event whose texts were seen before (${many.length} events; load average ${loadavg().map((l) => l.toFixed(1)).join(', ')}).`);
out('LLM mode (`CATEGORIZER=llm`) is not measured: there is no real provider on this machine, and the local fake provider the tests use answers by keyword, which says nothing about quality.');

if (!values['no-write']) writeSection(date, lines);
