import { describe, expect, it } from 'vitest';
import { decodeToken, durableName, encodeToken, minimalPatterns, subjectScheme } from '../../src/adapters/bus/nats/nats.subjects.js';

describe('NATS subject scheme', () => {
  const s = subjectScheme('');

  it('puts tenant and dotted type into subject tokens, encoding what NATS forbids', () => {
    expect(s.event('t-1', 'article.created')).toBe('evt.t-1.article.created');
    expect(s.event('t 1', 'Order Completed')).toBe('evt.t%201.Order%20Completed');
    expect(s.event('t', 'a..b')).toBe('evt.t.a.%.b');
    expect(s.replay('indexer', 't-1')).toBe('rpl.indexer.t-1');
    expect(s.realtime('t-1')).toBe('rt.t-1');
    expect(subjectScheme('x1').event('t', 'a.b')).toBe('x1.evt.t.a.b');
    expect(subjectScheme('x1.').streamSubjects()).toEqual(['x1.evt.>', 'x1.rpl.>']);
  });

  it('round-trips tokens', () => {
    for (const value of ['plain', 'with space', 'star*', 'gt>', '100%', '', 'tab\there']) {
      const token = encodeToken(value);
      expect(token).not.toMatch(/[\s*>.]/);
      expect(decodeToken(token)).toBe(value);
    }
    expect(s.realtimeTenant(s.realtime('tenant 7'))).toBe('tenant 7');
    expect(s.realtimeTenant('evt.x')).toBeUndefined();
  });

  it('maps type patterns to overlap-free filter subjects with prefix semantics', () => {
    expect(s.eventFilters(['article.*'])).toEqual(['evt.*.article.>']);
    expect(s.eventFilters(['article.*', 'article.created', 'article.stock.*', 'order.placed'])).toEqual(['evt.*.article.>', 'evt.*.order.placed']);
    expect(s.eventFilters(['order.placed', '*'])).toEqual(['evt.>']);
    expect(s.eventFilters(['article', 'article.*'])).toEqual(['evt.*.article', 'evt.*.article.>']);
    expect(s.replayFilter('indexer')).toBe('rpl.indexer.>');
    expect(minimalPatterns(['a.b.*', 'a.b.*', 'a.bc'])).toEqual(['a.b.*', 'a.bc']);
  });

  it('makes durable names NATS accepts', () => {
    expect(durableName('indexer')).toBe('indexer');
    expect(durableName('web.hooks v2', '_replay')).toBe('web_hooks_v2_replay');
  });
});
