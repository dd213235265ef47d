/**
 * The next-action projection on SQLite and PostgreSQL: counts written in the batch's transaction,
 * predictions equal to the in-memory model's (markov.ts with PersonContexts) on a synthetic log
 * fed in uneven batches, session boundaries (client ids, the gap, another source app), a level
 * read in part still scored exactly, tenants apart, a rebuild by replay with the same result,
 * and a person's erase.
 */
import { expect, it } from 'vitest';
import { NextActionModel } from '../../src/analytics/predict/markov.js';
import { PersonContexts } from '../../src/analytics/predict/person-contexts.js';
import { predictConsumer } from '../../src/analytics/predict/predict.consumer.js';
import { predictFor } from '../../src/analytics/predict/predict.routes.js';
import { sqlPredictStore } from '../../src/analytics/predict/predict.sql.js';
import { contextKey } from '../../src/analytics/predict/predict.store.js';
import { generateSyntheticLog } from '../../src/analytics/predict/synthetic-log.js';
import { createLogger } from '../../src/platform/logger.js';
import type { EventRecord, LogEntry } from '../../src/ports/events.types.js';
import { describeOnEachDialect } from './feature-stores.js';
import { T0, makeEvent, newTenant } from './store.fixtures.js';

const MIN = 60_000;
const GAP = 30 * MIN;
let seq = 0;
const entry = (tenantId: string, minutes: number, fields: Partial<EventRecord> = {}): LogEntry =>
  ({ ...makeEvent(tenantId, T0 + minutes * MIN, { userId: 'alice', ...fields }), time: T0 + minutes * MIN, seq: ++seq });
const context = { attempt: 1, logger: createLogger('silent', 'test'), signal: new AbortController().signal };

describeOnEachDialect('analytics predict store', ({ store, inTx }) => {
  const predict = () => sqlPredictStore(store().db);
  const consumer = (maxOrder = 3) => predictConsumer(predict(), { maxOrder, gapMs: GAP });
  const apply = (events: LogEntry[], maxOrder = 3) => inTx((tx) => consumer(maxOrder).handleBatch!(events, tx, context));
  /** Predictions as of the person's latest event (their session still open). */
  const at = (minutes: number) => ({ store: predict(), maxOrder: 3, gapMs: GAP, now: () => T0 + minutes * MIN });

  it('predicts what the in-memory model predicts, batch boundaries whatever they are', async () => {
    const tenant = await newTenant(store());
    const log = generateSyntheticLog({ events: 3_000, seed: 7, startTime: T0 });
    const model = new NextActionModel({ maxOrder: 3, maxTypesPerContext: 100_000 });
    const contexts = new PersonContexts({ maxOrder: 3, sessionGapMs: GAP });
    for (const e of log) {
      model.observe(contexts.contextAt(e.personId, e.time, e.sessionId), e.type);
      contexts.record(e.personId, e.type, e.time, e.sessionId);
    }
    const entries = log.map((e) => ({ ...makeEvent(tenant, e.time, { userId: e.personId, type: e.type, sessionId: e.sessionId ?? null }), time: e.time, seq: ++seq }));
    for (let i = 0, size = 1; i < entries.length; i += size, size = (size * 7) % 601 + 1) await apply(entries.slice(i, i + size));
    const last = new Map(log.map((e) => [e.personId, e]));
    const persons = [...last.keys()].slice(0, 25);
    for (const person of persons) {
      const e = last.get(person)!;
      const expected = model.predict(contexts.contextAt(person, e.time, e.sessionId), 5);
      const got = await predictFor({ store: predict(), maxOrder: 3, gapMs: GAP, now: () => e.time }, tenant, person, 5);
      expect(got.predictions, person).toEqual(expected.predictions);
      expect([got.order, got.types, got.sessionStart]).toEqual([expected.order, expected.context, expected.sessionStart]);
      expect(got.eventsSeen).toBe(log.length);
    }
    // Unknown persons get the overall distribution.
    const overall = await predictFor(at(0), tenant, 'nobody', 3);
    expect(overall.predictions).toEqual(model.predict([], 3).predictions);
    expect([overall.order, overall.types]).toEqual([0, []]);

    // A rebuild: the tenant's rows go, the same log in one batch gives the same predictions.
    const before = await Promise.all(persons.map((p) => predictFor({ ...at(0), now: () => last.get(p)!.time }, tenant, p, 5)));
    await inTx((tx) => consumer().rebuildTenant!(tenant, tx));
    expect((await predictFor(at(0), tenant, persons[0]!, 3)).predictions).toEqual([]);
    await apply(entries);
    const after = await Promise.all(persons.map((p) => predictFor({ ...at(0), now: () => last.get(p)!.time }, tenant, p, 5)));
    expect(after).toEqual(before);
  });

  it('starts a new context at a new client session, after the gap and in another source app', async () => {
    const tenant = await newTenant(store());
    const habit = (minutes: number, fields: Partial<EventRecord> = {}) => [
      entry(tenant, minutes, { type: 'a', ...fields }), entry(tenant, minutes + 1, { type: 'b', ...fields }), entry(tenant, minutes + 2, { type: 'c', ...fields }),
    ];
    await apply([...habit(0), ...habit(60), ...habit(120, { sessionId: 's1' }).slice(0, 2)]);
    // Within the session: after its start, a, b came c.
    expect(await predictFor(at(122), tenant, 'alice', 1)).toMatchObject({ predictions: [{ type: 'c' }], types: ['a', 'b'], sessionStart: true, order: 3 });
    // Another client session: its first `a` is counted after the session start, not after b.
    await apply([entry(tenant, 123, { type: 'a', sessionId: 's2' })]);
    expect(await predictFor(at(124), tenant, 'alice', 1)).toMatchObject({ predictions: [{ type: 'b' }], types: ['a'], sessionStart: true, order: 2 });
    // Past the gap, the next event starts a session: predicted from the session start.
    const later = await predictFor(at(124 + 31), tenant, 'alice', 1);
    expect(later).toMatchObject({ predictions: [{ type: 'a' }], types: [], sessionStart: true, order: 1 });
    // Another source app: a session of its own (the start context counted once more for `x`).
    await apply([entry(tenant, 125, { type: 'x', sourceApp: 'mobile' })]);
    const levels = await predict().levels(tenant, [contextKey(['']), contextKey([])], 10);
    expect(Object.fromEntries(levels.get(contextKey(['']))!.next)).toEqual({ a: 4, x: 1 });
    expect(levels.get(contextKey(['']))).toMatchObject({ total: 5, distinct: 2 });
    expect(levels.get(contextKey([]))).toMatchObject({ total: 10, distinct: 4 });
    // Another tenant sees none of it.
    expect((await predictFor(at(0), await newTenant(store()), 'alice', 3)).predictions).toEqual([]);
  });

  it('scores candidates exactly when a level is read in part', async () => {
    const tenant = await newTenant(store());
    const events = Array.from({ length: 30 }, (_, i) => entry(tenant, i * 100, { type: `t${String(i % 10).padStart(2, '0')}`, userId: `p${i}` }));
    events.push(entry(tenant, 5000, { type: 't09', userId: 'p0' }), entry(tenant, 5001, { type: 't09', userId: 'p0' }));
    await apply(events);
    const full = await predict().levels(tenant, [contextKey([]), contextKey(['']), contextKey(['', 't09'])], 100);
    const part = await predict().levels(tenant, [contextKey([]), contextKey(['']), contextKey(['', 't09'])], 2);
    for (const key of full.keys()) {
      const level = part.get(key)!;
      expect([level.total, level.distinct]).toEqual([full.get(key)!.total, full.get(key)!.distinct]);
      for (const [type, n] of level.next) expect(full.get(key)!.next.get(type), `${key} ${type}`).toBe(n);
    }
    expect(part.get(contextKey([]))!.next.size).toBeLessThan(full.get(contextKey([]))!.next.size);
    expect(part.get(contextKey(['', 't09']))!.next.get('t09')).toBe(1);
  });

  it('leaves nothing when the batch rolls back, and erases a person\'s context', async () => {
    const tenant = await newTenant(store());
    await expect(inTx(async (tx) => {
      await consumer().handleBatch!([entry(tenant, 0, { type: 'a' })], tx, context);
      throw new Error('rollback');
    })).rejects.toThrow('rollback');
    expect(await predict().person(tenant, 'alice')).toBeUndefined();
    expect((await predict().levels(tenant, [contextKey([])], 10)).size).toBe(0);
    await apply([entry(tenant, 0, { type: 'a' }), entry(tenant, 1, { type: 'b', userId: 'bob' }), entry(tenant, 2, { type: 'c', userId: null })]);
    expect(await predict().person(tenant, 'alice')).toMatchObject({ recent: ['a'], sessionLength: 1, events: 1 });
    expect(await predict().eraseUser(tenant, 'alice')).toBe(1);
    expect(await predict().person(tenant, 'alice')).toBeUndefined();
    expect(await predict().person(tenant, 'bob')).toBeDefined();
    expect((await predict().levels(tenant, [contextKey([])], 10)).get(contextKey([]))!.total).toBe(2);
  });
});
