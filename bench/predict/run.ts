/**
 * Next-action prediction benchmark: the variable-order Markov model against the two baselines
 * on a seeded synthetic log (or a JSONL log of {personId, sessionId?, type, time}), first 80 %
 * of the events by time to learn, the rest predicted one by one and learned online. Prints the
 * figures and writes them to BENCHMARKS.md unless --no-write.
 *
 *   node --import tsx bench/predict/run.ts [--events 200000] [--seed 1] [--log file.jsonl] [--no-write]
 */
import { createReadStream } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { evaluateNextAction, type EvaluationReport } from '../../src/analytics/predict/evaluate.js';
import { toLoggedEvent, type LoggedEvent } from '../../src/analytics/predict/event-log.js';
import { PersonContexts } from '../../src/analytics/predict/person-contexts.js';
import { generateSyntheticLog } from '../../src/analytics/predict/synthetic-log.js';
import { writeSection } from './section.js';
import { stressModel } from './stress.js';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '200000' },
    seed: { type: 'string', default: '1' },
    log: { type: 'string' },
    'no-write': { type: 'boolean', default: false },
  },
});

async function readLog(file: string): Promise<LoggedEvent[]> {
  const events: LoggedEvent[] = [];
  let line = 0;
  for await (const text of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) {
    line += 1;
    if (text.trim() === '') continue;
    try {
      events.push(toLoggedEvent(JSON.parse(text)));
    } catch (error) {
      throw new Error(`${file}:${line}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return events;
}

/** Mean time of one model.predict(context, 3) over the test part's contexts, the model frozen. */
function predictMicros(report: EvaluationReport, log: readonly LoggedEvent[]): number {
  const persons = new PersonContexts({ maxOrder: report.model.maxOrder, maxPersons: Number.MAX_SAFE_INTEGER });
  const contexts: string[][] = [];
  const sorted = [...log].sort((a, b) => a.time - b.time);
  sorted.forEach(({ personId, type, time, sessionId }, i) => {
    if (i >= report.trainEvents) contexts.push(persons.contextAt(personId, time, sessionId));
    persons.record(personId, type, time, sessionId);
  });
  for (const context of contexts.slice(0, 2_000)) report.model.predict(context, 3);
  const started = performance.now();
  for (const context of contexts) report.model.predict(context, 3);
  return ((performance.now() - started) * 1000) / Math.max(1, contexts.length);
}

const generateStarted = performance.now();
const log = values.log ? await readLog(values.log) : generateSyntheticLog({ events: Number(values.events), seed: Number(values.seed) });
const loadMs = performance.now() - generateStarted;
const source = values.log ? `\`${values.log}\`` : `synthetic log, seed ${values.seed}`;
const command = `node --import tsx bench/predict/run.ts ${values.log ? `--log ${values.log}` : `--events ${values.events} --seed ${values.seed}`}`;

const report = evaluateNextAction(log);
// The same model with other orders, and squeezed under a small cap to show what eviction costs.
const variants = [
  ...[1, 2, 4].map((maxOrder) => ({ label: `markov-${maxOrder} (max order ${maxOrder})`, model: { maxOrder } })),
  { label: 'markov-3 capped at 500 contexts', model: { maxContexts: 500 } },
].map(({ label, model }) => ({ label, report: evaluateNextAction(log, { model }) }));
const micros = predictMicros(report, log);
const jsonBytes = Buffer.byteLength(JSON.stringify(report.model));
const memoryMb = Math.round(process.memoryUsage().rss / 2 ** 20);
const stress = stressModel(500_000);

const percent = (share: number) => `${(share * 100).toFixed(1)} %`;
const n = (value: number) => value.toLocaleString('en-US');
const [model, ...baselines] = report.scores;
const beats = baselines.every((b) => model!.top1 > b.top1 && model!.top3 > b.top3);
const days = log.length > 1 ? (log.reduce((max, e) => Math.max(max, e.time), -Infinity) - log.reduce((min, e) => Math.min(min, e.time), Infinity)) / 86_400_000 : 0;
const date = new Date().toISOString().slice(0, 10);
const lines = [
  `Measured ${date} on ${cpus().length} cores (${cpus()[0]?.model.trim() ?? 'cpu'}), ${Math.round(totalmem() / 2 ** 30)} GB, Node ${process.version}; \`${command}\`.`,
  `${source}: ${n(report.events)} events of ${n(report.persons)} persons in ${n(report.sessions)} sessions over ${days.toFixed(1)} days, ${n(report.model.typeCount)} event types.`,
  `Learned from the first 80 % of the events by time (${n(report.trainEvents)}), then each of the ${n(report.testEvents)} later events predicted from its person's session so far`,
  `(${n(report.testSessionStarts)} of them first in their session) and learned from after scoring, by the model and the baselines alike.`,
  '',
  '| predictor | top-1 | top-3 | top-1 hits | top-3 hits |',
  '|---|---|---|---|---|',
  ...report.scores.map((s) => `| ${s.name === model!.name ? `**${s.name}** (Witten–Bell back-off)` : s.name} | ${percent(s.top1)} | ${percent(s.top3)} | ${n(s.top1Hits)} | ${n(s.top3Hits)} |`),
  ...variants.map(({ label, report: other }) => `| ${label} | ${percent(other.scores[0]!.top1)} | ${percent(other.scores[0]!.top3)} | ${n(other.scores[0]!.top1Hits)} | ${n(other.scores[0]!.top3Hits)} |`),
  '',
  '| figure | value |',
  '|---|---|',
  `| model beats both baselines on top-1 and top-3 | ${beats ? 'yes' : '**no**'} |`,
  `| ${values.log ? 'reading' : 'generating'} the log | ${(loadMs / 1000).toFixed(2)} s |`,
  `| learning the train part (model and baselines) | ${(report.trainMs / 1000).toFixed(2)} s (${n(Math.round(report.trainEvents / (report.trainMs / 1000)))} events/s) |`,
  `| test part: 3 predictors predict, then learn | ${(report.testMs / 1000).toFixed(2)} s |`,
  `| one \`predict(context, 3)\` of the model | ${micros.toFixed(1)} µs |`,
  `| model size | ${n(report.model.contextCount)} contexts, ${n(report.model.typeCount)} types, ${(jsonBytes / 2 ** 20).toFixed(2)} MB as JSON (cap ${n(report.model.maxContexts)} contexts) |`,
  `| bench process RSS after the evaluations | ${memoryMb} MB |`,
  `| bounds: ${n(stress.steps)} steps over ${stress.types} random types (skewed) | at most ${n(stress.mostContextsHeld)} contexts held (cap ${n(stress.maxContexts)}), ${n(Math.round(stress.observesPerSecond))} observes/s with eviction, ${stress.predictMicros.toFixed(1)} µs per predict, ${stress.heapMb.toFixed(0)} MB of heap kept |`,
];
console.log(lines.join('\n'));
if (!values['no-write']) writeSection(date, lines);
if (!beats) process.exitCode = 1;
