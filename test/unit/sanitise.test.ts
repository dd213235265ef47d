import { describe, expect, it } from 'vitest';
import { createSanitiser, MASK } from '../../src/events/ingest/sanitise.js';

describe('sanitiser', () => {
  const input = { user: 'ann', Password: 'p', profile: { creditCard: '4111', cards: [{ cvv: '123', last4: '1111' }] }, API_KEY: 'k', 'set-cookie': 'c' };

  it('masks sensitive keys at any depth, matching case and separators loosely', () => {
    const mask = createSanitiser(['password', 'creditCard', 'cvv', 'apiKey', 'setCookie'], 'mask');
    expect(mask(input)).toEqual({ user: 'ann', Password: MASK, profile: { creditCard: MASK, cards: [{ cvv: MASK, last4: '1111' }] }, API_KEY: MASK, 'set-cookie': MASK });
  });

  it('removes them in remove mode and leaves the input untouched', () => {
    const remove = createSanitiser(['password', 'creditCard', 'cvv', 'apiKey', 'setCookie'], 'remove');
    expect(remove(input)).toEqual({ user: 'ann', profile: { cards: [{ last4: '1111' }] } });
    expect(input.Password).toBe('p');
  });

  it('passes scalars and null through', () => {
    const mask = createSanitiser(['password'], 'mask');
    expect(mask(null)).toBeNull();
    expect(mask('text')).toBe('text');
    expect(mask([1, { password: 'x' }])).toEqual([1, { password: MASK }]);
  });
});
