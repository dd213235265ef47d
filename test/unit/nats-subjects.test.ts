import { describe, expect, it } from 'vitest';
import { decodeToken, encodeToken, subjectScheme } from '../../src/adapters/bus/nats/nats.subjects.js';

describe('NATS subject scheme', () => {
  const s = subjectScheme('');

  it('puts tenant and dotted type into subject tokens, encoding what NATS forbids', () => {
    expect(s.event('t-1', 'article.created')).toBe('evt.t-1.article.created');
    expect(s.event('t 1', 'Order Completed')).toBe('evt.t%201.Order%20Completed');
    expect(s.event('t', 'a..b')).toBe('evt.t.a.%.b');
    expect(s.event('', '*>')).toBe('evt.%.%2A%3E');
    expect(s.realtime('t-1')).toBe('rt.t-1');
    expect(subjectScheme('x1').event('t', 'a.b')).toBe('x1.evt.t.a.b');
    expect(subjectScheme('x1.').event('t', 'a.b')).toBe('x1.evt.t.a.b');
  });

  it('the stream holds every event subject under the prefix, and realtime subjects stay out of it', () => {
    const scheme = subjectScheme('x1');
    expect(scheme.streamSubjects()).toContain('x1.evt.>');
    expect(scheme.streamSubjects().some((subject) => subject.startsWith('x1.rt.'))).toBe(false);
    expect(scheme.realtimeWildcard()).toBe('x1.rt.*');
  });

  it('round-trips tokens', () => {
    for (const value of ['plain', 'with space', 'star*', 'gt>', '100%', '', 'tab\there', '%41']) {
      const token = encodeToken(value);
      expect(token).not.toMatch(/[\s*>.]/);
      expect(decodeToken(token)).toBe(value);
    }
    expect(s.realtimeTenant(s.realtime('tenant 7'))).toBe('tenant 7');
    expect(s.realtimeTenant('evt.x')).toBeUndefined();
  });
});
