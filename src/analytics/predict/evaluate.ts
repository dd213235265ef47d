/**
 * Quality harness of the next-action model: how often it names a person's next event type,
 * against the two baselines, on an event log.
 *
 * Split: the log, in time order, is cut after the first `trainFraction` (80 %) of its events:
 * by event count rather than by time range, so the test part has a known size whatever the
 * shape of activity over time. Everything learns from the train part. Then the test part is
 * walked in time order: each event is predicted from its person's context (the session so far),
 * scored top-1 and top-3, and then learned from (online learning, as in production where the
 * model is updated as events arrive; `learnOnline: false` freezes it). The model and both
 * baselines get exactly the same contexts and the same learning.
 */
import { FirstOrderMostFrequent, RepeatLastType, type NextTypePredictor } from './baselines.js';
import type { LoggedEvent } from './event-log.js';
import { NextActionModel, type NextActionModelOptions } from './markov.js';
import { PersonContexts } from './person-contexts.js';

export interface EvaluationOptions {
  /** Share of the events (in time order) learned before the test part (default 0.8). */
  trainFraction?: number;
  /** Keep learning from each test event after predicting it (default true). */
  learnOnline?: boolean;
  model?: NextActionModelOptions;
  sessionGapMs?: number;
}

export interface PredictorScore {
  name: string;
  top1Hits: number;
  top3Hits: number;
  /** top1Hits / predictions, in [0, 1]. */
  top1: number;
  top3: number;
}

export interface EvaluationReport {
  events: number;
  trainEvents: number;
  testEvents: number;
  /** Test events predicted (every one: each has a context, at least the session start). */
  predictions: number;
  /** Test events that were the first of a session. */
  testSessionStarts: number;
  persons: number;
  sessions: number;
  /** Time of the first test event (ms). */
  splitTime: number | undefined;
  trainMs: number;
  testMs: number;
  /** The model first, then the baselines. */
  scores: PredictorScore[];
  model: NextActionModel;
}

const inTimeOrder = (events: readonly LoggedEvent[]): readonly LoggedEvent[] => {
  for (let i = 1; i < events.length; i += 1) {
    // A stable sort keeps the given order of events with the same time.
    if (events[i]!.time < events[i - 1]!.time) return [...events].sort((a, b) => a.time - b.time);
  }
  return events;
};

export function evaluateNextAction(log: readonly LoggedEvent[], options: EvaluationOptions = {}): EvaluationReport {
  const trainFraction = options.trainFraction ?? 0.8;
  if (!(trainFraction > 0 && trainFraction < 1)) throw new RangeError('trainFraction must be in (0, 1)');
  const events = inTimeOrder(log);
  const model = new NextActionModel(options.model);
  const predictors: NextTypePredictor[] = [
    { name: model.name, observe: (previous, next) => void model.observe(previous, next), predictTypes: (previous, k) => model.predict(previous, k).predictions.map((p) => p.type) },
    new FirstOrderMostFrequent(),
    new RepeatLastType(),
  ];
  const persons = new PersonContexts({ maxOrder: model.maxOrder, maxPersons: Number.MAX_SAFE_INTEGER, ...(options.sessionGapMs === undefined ? {} : { sessionGapMs: options.sessionGapMs }) });
  const cut = Math.floor(events.length * trainFraction);

  let started = performance.now();
  for (let i = 0; i < cut; i += 1) {
    const { personId, sessionId, type, time } = events[i]!;
    const context = persons.contextAt(personId, time, sessionId);
    for (const predictor of predictors) predictor.observe(context, type);
    persons.record(personId, type, time, sessionId);
  }
  const trainMs = performance.now() - started;

  const hits = predictors.map(() => ({ top1: 0, top3: 0 }));
  let testSessionStarts = 0;
  const learnOnline = options.learnOnline ?? true;
  started = performance.now();
  for (let i = cut; i < events.length; i += 1) {
    const { personId, sessionId, type, time } = events[i]!;
    if (persons.startsSession(personId, time, sessionId)) testSessionStarts += 1;
    const context = persons.contextAt(personId, time, sessionId);
    predictors.forEach((predictor, p) => {
      const top = predictor.predictTypes(context, 3);
      if (top[0] === type) hits[p]!.top1 += 1;
      if (top.includes(type)) hits[p]!.top3 += 1;
    });
    if (learnOnline) for (const predictor of predictors) predictor.observe(context, type);
    persons.record(personId, type, time, sessionId);
  }
  const testMs = performance.now() - started;

  const predictions = events.length - cut;
  const share = (n: number) => (predictions === 0 ? 0 : n / predictions);
  return {
    events: events.length,
    trainEvents: cut,
    testEvents: predictions,
    predictions,
    testSessionStarts,
    persons: persons.personCount,
    sessions: persons.sessionCount,
    splitTime: events[cut]?.time,
    trainMs,
    testMs,
    scores: predictors.map((predictor, p) => ({ name: predictor.name, top1Hits: hits[p]!.top1, top3Hits: hits[p]!.top3, top1: share(hits[p]!.top1), top3: share(hits[p]!.top3) })),
    model,
  };
}
