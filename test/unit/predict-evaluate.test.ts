import { describe, expect, it } from 'vitest';
import { FirstOrderMostFrequent, RepeatLastType } from '../../src/analytics/predict/baselines.js';
import { evaluateNextAction } from '../../src/analytics/predict/evaluate.js';
import { toLoggedEvent, type LoggedEvent } from '../../src/analytics/predict/event-log.js';
import { SESSION_START } from '../../src/analytics/predict/markov.js';
import { generateSyntheticLog } from '../../src/analytics/predict/synthetic-log.js';

const MINUTE = 60_000;
const byName = (report: ReturnType<typeof evaluateNextAction>, name: string) => report.scores.find((s) => s.name === name)!;

describe('baselines', () => {
  it('first-order most frequent: after the last symbol, then overall, ties by name', () => {
    const baseline = new FirstOrderMostFrequent();
    baseline.observe(['a'], 'b');
    baseline.observe(['a'], 'c');
    baseline.observe(['a'], 'c');
    baseline.observe([SESSION_START], 'a');
    baseline.observe(['b'], 'd');
    expect(baseline.predictTypes(['x', 'a'], 3)).toEqual(['c', 'b', 'a']);
    expect(baseline.predictTypes([SESSION_START], 2)).toEqual(['a', 'c']);
    expect(baseline.predictTypes(['never'], 2)).toEqual(['c', 'a']);
  });

  it('repeat-last: the last type, then overall; at a session start only overall', () => {
    const baseline = new RepeatLastType();
    for (const type of ['a', 'b', 'b']) baseline.observe([], type);
    expect(baseline.predictTypes(['x', 'a'], 3)).toEqual(['a', 'b']);
    expect(baseline.predictTypes(['z'], 2)).toEqual(['z', 'b']);
    expect(baseline.predictTypes([SESSION_START], 3)).toEqual(['b', 'a']);
  });
});

describe('evaluateNextAction', () => {
  it('a tiny alternating log, scored by hand', () => {
    // One person, one session: a b a b a b a b | a b. Train 8, test 2.
    const log: LoggedEvent[] = Array.from({ length: 10 }, (_, i) => ({ personId: 'p', type: i % 2 === 0 ? 'a' : 'b', time: i * MINUTE }));
    const report = evaluateNextAction(log);
    expect(report).toMatchObject({ events: 10, trainEvents: 8, testEvents: 2, predictions: 2, testSessionStarts: 0, persons: 1, sessions: 1, splitTime: 8 * MINUTE });
    expect(byName(report, 'markov-3')).toMatchObject({ top1Hits: 2, top3Hits: 2, top1: 1, top3: 1 });
    expect(byName(report, 'first-order-most-frequent')).toMatchObject({ top1Hits: 2, top3Hits: 2 });
    // Repeating the last type is always wrong here; the overall fill puts the other type second.
    expect(byName(report, 'repeat-last')).toMatchObject({ top1Hits: 0, top3Hits: 2, top1: 0, top3: 1 });
  });

  it('finds sessions by 30 minutes of inactivity, or by session id, and sorts an unsorted log', () => {
    const log: LoggedEvent[] = [
      ...Array.from({ length: 8 }, (_, i) => ({ personId: 'p', type: 'a', time: i * MINUTE })),
      { personId: 'p', type: 'a', time: 8 * MINUTE + 30 * MINUTE + 1 }, // test: new session (gap)
      { personId: 'q', sessionId: 's1', type: 'a', time: 0.5 * MINUTE },
      { personId: 'q', sessionId: 's2', type: 'b', time: 100 * MINUTE }, // test: new session (id)
    ];
    const sorted = [...log].sort((x, y) => x.time - y.time);
    const report = evaluateNextAction(log, { trainFraction: 0.82 });
    expect(report).toMatchObject({ events: 11, trainEvents: 9, testEvents: 2, testSessionStarts: 2, persons: 2, sessions: 4 });
    expect(evaluateNextAction(sorted, { trainFraction: 0.82 }).scores).toEqual(report.scores);
  });

  it('online learning can be turned off, for the model and the baselines alike', () => {
    const log = generateSyntheticLog({ events: 4_000, seed: 5 });
    const frozen = evaluateNextAction(log, { learnOnline: false });
    const online = evaluateNextAction(log);
    expect(frozen.model.toJSON()).not.toEqual(online.model.toJSON());
    expect(frozen.scores.map((s) => s.top1Hits)).not.toEqual(online.scores.map((s) => s.top1Hits));
  });

  it('on a generated log the model beats both baselines, with figures consistent with the counts', () => {
    const report = evaluateNextAction(generateSyntheticLog({ events: 30_000, seed: 11 }));
    expect(report.trainEvents).toBe(Math.floor(report.events * 0.8));
    expect(report.trainEvents + report.testEvents).toBe(report.events);
    for (const score of report.scores) {
      expect(score.top1).toBe(score.top1Hits / report.predictions);
      expect(score.top3).toBe(score.top3Hits / report.predictions);
      expect(score.top1Hits).toBeLessThanOrEqual(score.top3Hits);
      expect(score.top3).toBeGreaterThanOrEqual(0);
      expect(score.top3).toBeLessThanOrEqual(1);
    }
    const [model, firstOrder, repeat] = report.scores;
    expect(model!.name).toBe('markov-3');
    for (const baseline of [firstOrder!, repeat!]) {
      expect(model!.top1).toBeGreaterThan(baseline.top1);
      expect(model!.top3).toBeGreaterThan(baseline.top3);
    }
  });
});

describe('event log and synthetic log', () => {
  it('reads records with epoch or ISO times and refuses bad ones', () => {
    expect(toLoggedEvent({ personId: 'p', type: 'a.b', time: '2026-12-07T00:00:00Z', sessionId: 's' })).toEqual({ personId: 'p', type: 'a.b', time: Date.UTC(2026, 11, 7), sessionId: 's' });
    expect(toLoggedEvent({ personId: 'p', type: 'a.b', time: 5, sessionId: null })).toEqual({ personId: 'p', type: 'a.b', time: 5 });
    expect(() => toLoggedEvent({ personId: 'p', type: 'a', time: 'yesterday' })).toThrow(/time/);
    expect(() => toLoggedEvent({ personId: '', type: 'a', time: 1 })).toThrow(/personId/);
    expect(() => toLoggedEvent({ personId: 'p', type: '', time: 1 })).toThrow(/type/);
  });

  it('is deterministic, in time order, with gaps under 30 minutes inside sessions and over between', () => {
    const log = generateSyntheticLog({ events: 20_000, seed: 3 });
    expect(generateSyntheticLog({ events: 20_000, seed: 3 })).toEqual(log);
    expect(generateSyntheticLog({ events: 20_000, seed: 4 })).not.toEqual(log);
    expect(log.length).toBeGreaterThanOrEqual(20_000);
    const types = new Set(log.map((e) => e.type));
    expect(types.size).toBeGreaterThanOrEqual(15);
    expect(types.size).toBeLessThanOrEqual(30);
    const last = new Map<string, LoggedEvent>();
    let withIds = 0;
    for (let i = 0; i < log.length; i += 1) {
      const event = log[i]!;
      if (i > 0) expect(event.time).toBeGreaterThanOrEqual(log[i - 1]!.time);
      const before = last.get(event.personId);
      if (before && event.sessionId !== undefined) {
        withIds += 1;
        const gap = event.time - before.time;
        expect(event.sessionId === before.sessionId ? gap < 30 * MINUTE : gap > 30 * MINUTE).toBe(true);
      }
      last.set(event.personId, event);
    }
    expect(withIds).toBeGreaterThan(log.length / 4);
  });
});
