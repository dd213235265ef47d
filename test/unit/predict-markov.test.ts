import { describe, expect, it } from 'vitest';
import { NextActionModel, SESSION_START } from '../../src/analytics/predict/markov.js';
import { PersonContexts } from '../../src/analytics/predict/person-contexts.js';
import { generateSyntheticLog } from '../../src/analytics/predict/synthetic-log.js';
import { seededRandom } from '../../src/platform/random.js';
import { isAppError } from '../../src/platform/errors.js';

const probabilities = (model: NextActionModel, context: string[]) =>
  Object.fromEntries(model.predict(context, 1_000).predictions.map((p) => [p.type, p.probability]));
const sum = (values: Record<string, number>) => Object.values(values).reduce((a, b) => a + b, 0);

/** root: b 2, c 2, a 1 · [a]: b 2, c 2 · [b]: a 1 · [x a]: c 1 */
function handModel(): NextActionModel {
  const model = new NextActionModel({ maxOrder: 2 });
  model.observe(['a'], 'b');
  model.observe(['a'], 'b');
  model.observe(['a'], 'c');
  model.observe(['b'], 'a');
  model.observe(['x', 'a'], 'c');
  return model;
}

describe('NextActionModel: Witten–Bell back-off, computed by hand', () => {
  it('order 2: P2(w) = (c(xa,w) + T(xa)·P1(w)) / (c(xa) + T(xa)), P1 from [a], P0 from the root', () => {
    // P0 = b .4, c .4, a .2 ; P1(b) = (2 + 2·.4)/6, P1(c) = (2 + 2·.4)/6, P1(a) = (0 + 2·.2)/6
    // P2(c) = (1 + 1·P1(c))/2 = 8.8/12, P2(b) = P1(b)/2 = 2.8/12, P2(a) = .4/12
    const result = handModel().predict(['x', 'a'], 3);
    expect(result).toMatchObject({ model: 'markov-2', order: 2, context: ['x', 'a'], sessionStart: false });
    expect(result.predictions.map((p) => p.type)).toEqual(['c', 'b', 'a']);
    expect(result.predictions[0]!.probability).toBeCloseTo(8.8 / 12, 9);
    expect(result.predictions[1]!.probability).toBeCloseTo(2.8 / 12, 9);
    expect(result.predictions[2]!.probability).toBeCloseTo(0.4 / 12, 9);
  });

  it('an unseen longer context backs off to the longest one seen, ties going to the type name', () => {
    const result = handModel().predict(['y', 'a'], 3);
    expect(result).toMatchObject({ order: 1, context: ['a'] });
    expect(result.predictions.map((p) => p.type)).toEqual(['b', 'c', 'a']);
    expect(result.predictions[0]!.probability).toBeCloseTo(2.8 / 6, 9);
    expect(result.predictions[1]!.probability).toBe(result.predictions[0]!.probability);
    expect(result.predictions[2]!.probability).toBeCloseTo(0.4 / 6, 9);
  });

  it('an unknown type, or no context, gives the overall distribution', () => {
    for (const context of [['unknown.type'], []]) {
      const result = handModel().predict(context, 2);
      expect(result).toMatchObject({ order: 0, context: [] });
      expect(result.predictions).toEqual([{ type: 'b', probability: 0.4 }, { type: 'c', probability: 0.4 }]);
    }
  });

  it('probabilities sum to 1 over all types, for every context of a trained model', () => {
    const model = new NextActionModel();
    const log = generateSyntheticLog({ events: 3_000, seed: 7 });
    const persons = new PersonContexts();
    for (const { personId, type, time, sessionId } of log) {
      model.observe(persons.contextAt(personId, time, sessionId), type);
      persons.record(personId, type, time, sessionId);
    }
    const random = seededRandom(3);
    const types = [...new Set(log.map((e) => e.type))];
    for (let i = 0; i < 200; i += 1) {
      const context = Array.from({ length: Math.floor(random() * 5) }, () => types[Math.floor(random() * types.length)]!);
      if (random() < 0.3) context.unshift(SESSION_START);
      const all = probabilities(model, context);
      const ranked = model.predict(context, 1_000).predictions;
      expect(model.predict(context, 3).predictions).toEqual(ranked.slice(0, 3));
      for (let r = 1; r < ranked.length; r += 1) expect(ranked[r]!.probability).toBeLessThanOrEqual(ranked[r - 1]!.probability);
      expect(Object.keys(all)).toHaveLength(model.typeCount);
      expect(sum(all)).toBeCloseTo(1, 12);
    }
  });
});

describe('NextActionModel: sessions', () => {
  it('predicts a session start from the session-start distribution and never looks past it', () => {
    const model = new NextActionModel();
    for (let i = 0; i < 5; i += 1) {
      model.observe([SESSION_START], 'user.signed_in');
      model.observe([SESSION_START, 'user.signed_in'], 'page.viewed');
      model.observe([SESSION_START, 'user.signed_in', 'page.viewed'], 'page.viewed');
      model.observe(['user.signed_in', 'page.viewed', 'page.viewed'], 'page.viewed');
    }
    const start = model.predict(['page.viewed', 'page.viewed', SESSION_START], 1);
    expect(start).toMatchObject({ order: 1, context: [], sessionStart: true });
    // [^]: user.signed_in 5 (T 1) over the root's signed_in 5 / page.viewed 15: 5/6 + 1/6 · 1/4
    expect(start.predictions[0]!.type).toBe('user.signed_in');
    expect(start.predictions[0]!.probability).toBeCloseTo(5 / 6 + 1 / 24, 12);
    expect(model.predict(['page.viewed', 'page.viewed'], 1).predictions[0]!.type).toBe('page.viewed');
  });

  it('person contexts restart at a new session id, or after 30 minutes without one', () => {
    const persons = new PersonContexts({ maxOrder: 2 });
    persons.record('p', 'a', 0, 's1');
    persons.record('p', 'b', 60_000, 's1');
    expect(persons.contextAt('p', 120_000, 's1')).toEqual([SESSION_START, 'a', 'b']);
    persons.record('p', 'c', 120_000, 's1');
    expect(persons.contextAt('p', 3 * 3_600_000, 's1')).toEqual(['b', 'c']); // same id: same session
    expect(persons.contextAt('p', 180_000, 's2')).toEqual([SESSION_START]);
    persons.record('q', 'a', 0);
    expect(persons.contextAt('q', 30 * 60_000)).toEqual([SESSION_START, 'a']);
    expect(persons.contextAt('q', 30 * 60_000 + 1)).toEqual([SESSION_START]);
    expect(persons.contextAt('nobody', 0)).toEqual([SESSION_START]);
    expect(persons.sessionCount).toBe(2);
  });
});

describe('NextActionModel: bounds', () => {
  it('keeps at most maxContexts contexts, evicting rare ones and keeping the frequent', () => {
    const model = new NextActionModel({ maxContexts: 100 });
    for (let i = 0; i < 50; i += 1) model.observe(['hot'], 'x');
    const random = seededRandom(1);
    for (let i = 0; i < 2_000; i += 1) {
      model.observe([`t${Math.floor(random() * 1e6)}`, `t${i}`, 'y'], 'z');
      expect(model.contextCount).toBeLessThanOrEqual(100);
    }
    expect(model.contextCount).toBeGreaterThan(50);
    expect(model.predict(['hot'], 1)).toMatchObject({ order: 1, predictions: [{ type: 'x' }] });
  });

  it('keeps at most maxTypesPerContext next types per context, still a distribution', () => {
    const model = new NextActionModel({ maxTypesPerContext: 3 });
    for (let i = 0; i < 10; i += 1) model.observe(['a'], i < 3 ? 'kept' : `rare.${i}`);
    const node = model.toJSON().contexts.find((c) => c.context.join() === 'a')!;
    expect(node.next.length).toBe(3);
    expect(node.next).toContainEqual(['kept', 3]);
    expect(sum(probabilities(model, ['a']))).toBeCloseTo(1, 12);
  });

  it('learns at most maxTypes types', () => {
    const model = new NextActionModel({ maxTypes: 2 });
    expect(model.observe([], 'a')).toBe(true);
    expect(model.observe(['a'], 'b')).toBe(true);
    expect(model.observe(['b'], 'c')).toBe(false);
    expect(model.typeCount).toBe(2);
    expect(model.predict(['b'], 5).predictions.map((p) => p.type)).toEqual(['a', 'b']);
  });
});

describe('NextActionModel: JSON and hostile input', () => {
  it('fromJSON(toJSON()) predicts identically', () => {
    const model = new NextActionModel({ maxOrder: 3, maxContexts: 500 });
    const log = generateSyntheticLog({ events: 5_000, seed: 2 });
    const persons = new PersonContexts();
    for (const { personId, type, time, sessionId } of log) {
      model.observe(persons.contextAt(personId, time, sessionId), type);
      persons.record(personId, type, time, sessionId);
    }
    const copy = NextActionModel.fromJSON(JSON.parse(JSON.stringify(model)));
    expect(copy.toJSON()).toEqual(model.toJSON());
    expect(copy.contextCount).toBe(model.contextCount);
    const contexts = log.slice(0, 300).map((_, i) => log.slice(i, i + 1 + (i % 4)).map((e) => e.type));
    for (const context of [...contexts, [SESSION_START], []]) expect(copy.predict(context, 5)).toEqual(model.predict(context, 5));
  });

  it('fromJSON refuses what is not a model', () => {
    const good = handModel().toJSON();
    expect(() => NextActionModel.fromJSON({ ...good, version: 2 })).toThrow(/version/);
    expect(() => NextActionModel.fromJSON(null)).toThrow(/object/);
    expect(() => NextActionModel.fromJSON({ ...good, contexts: [...good.contexts, { context: ['q'], next: [['zzz', 1]] }] })).toThrow(/unknown/);
    expect(() => NextActionModel.fromJSON({ ...good, contexts: [good.contexts[0], { context: ['q'], next: [['a', -1]] }] })).toThrow(/count/);
    expect(() => NextActionModel.fromJSON({ ...good, contexts: [...good.contexts, good.contexts[1]] })).toThrow(/repeats/);
    expect(() => NextActionModel.fromJSON({ ...good, options: { ...good.options, maxContexts: 0 } })).toThrow(RangeError);
  });

  it('k must be a positive integer; a huge k returns every known type', () => {
    const model = handModel();
    for (const k of [0, -1, 1.5, Number.NaN]) {
      let error: unknown;
      try {
        model.predict(['a'], k);
      } catch (caught) {
        error = caught;
      }
      expect(isAppError(error) && error.code === 'VALIDATION_FAILED').toBe(true);
    }
    expect(model.predict(['a'], 1e9).predictions).toHaveLength(3);
  });

  it('a context longer than maxOrder uses its last maxOrder types; odd type names are just names', () => {
    const model = handModel();
    expect(model.predict(['q', 'r', 's', 'x', 'a'], 1)).toMatchObject({ order: 2, context: ['x', 'a'] });
    const long = 'x'.repeat(10_000);
    model.observe([long, long], long);
    expect(model.predict([long, long], 1).predictions[0]).toMatchObject({ type: long });
    expect(() => model.observe(['a'], '')).toThrow(TypeError);
    expect(new NextActionModel().predict(['a'], 3)).toMatchObject({ predictions: [], order: 0 });
  });
});
