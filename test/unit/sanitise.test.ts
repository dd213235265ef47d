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

describe('sanitiser at any depth (regression test for secrets kept below depth 64)', () => {
  const nest = (depth: number, leaf: unknown, asArray: boolean): unknown => {
    let value = leaf;
    for (let i = 0; i < depth; i++) value = asArray ? [value] : { level: value };
    return value;
  };
  const leafAt = (value: unknown, depth: number, asArray: boolean): unknown => {
    let current = value;
    for (let i = 0; i < depth; i++) current = asArray ? (current as unknown[])[0] : (current as { level: unknown }).level;
    return current;
  };

  for (const asArray of [false, true]) {
    it(`masks a secret 10,000 ${asArray ? 'arrays' : 'objects'} deep without overflowing the stack`, () => {
      const mask = createSanitiser(['password'], 'mask');
      const input = nest(10_000, { password: 'hunter2', keep: 'yes' }, asArray);
      const out = mask(input);
      expect(leafAt(out, 10_000, asArray)).toEqual({ password: MASK, keep: 'yes' });
      expect(leafAt(input, 10_000, asArray)).toEqual({ password: 'hunter2', keep: 'yes' });
    });
  }

  it('removes secrets at depths 63, 64, 65 and 100 in remove mode', () => {
    const remove = createSanitiser(['token'], 'remove');
    for (const depth of [63, 64, 65, 100]) {
      for (const asArray of [false, true]) {
        const out = remove(nest(depth, { token: 't', id: depth }, asArray));
        expect(leafAt(out, depth, asArray)).toEqual({ id: depth });
      }
    }
  });

  it('keeps key order, array length and holes, and never sets a prototype', () => {
    const mask = createSanitiser(['secret'], 'mask');
    const input = JSON.parse('{"b":1,"a":[1,null,{"secret":2}],"__proto__":{"polluted":true}}') as Record<string, unknown>;
    const out = mask(input) as Record<string, unknown>;
    expect(Object.keys(out)).toEqual(['b', 'a', '__proto__']);
    expect(out.a).toEqual([1, null, { secret: MASK }]);
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect((out as { polluted?: unknown }).polluted).toBeUndefined();
  });
});
