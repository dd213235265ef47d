import type { ValidateFunction } from 'ajv';
import { describe, expect, it } from 'vitest';
import { CompiledSchemas } from '../../src/events/catalog/schema-cache.js';
import { AppError } from '../../src/platform/errors.js';

describe('compiled schemas are kept by content', () => {
  it('compiles one schema text once, whatever object carries it, and remembers refusals', () => {
    const calls: string[] = [];
    const cache = new CompiledSchemas((schema) => {
      calls.push(JSON.stringify(schema));
      if (schema.bad) throw new AppError('CATALOG_SCHEMA_UNSAFE', { detail: 'bad' });
      return (() => true) as unknown as ValidateFunction;
    });
    const first = cache.get({ type: 'object' });
    expect(cache.get({ type: 'object' })).toBe(first);
    expect(() => cache.get({ bad: true })).toThrow('bad');
    expect(() => cache.get({ bad: true })).toThrow('bad');
    cache.get({ type: 'string' });
    expect(calls).toEqual(['{"type":"object"}', '{"bad":true}', '{"type":"string"}']);
  });

  it('is bounded by the bytes of the schemas it holds', () => {
    let compiles = 0;
    const cache = new CompiledSchemas(() => { compiles++; return (() => true) as unknown as ValidateFunction; }, 4096);
    const big = (i: number) => ({ description: `${i}`.padEnd(1000, 'x') });
    for (let i = 0; i < 10; i++) cache.get(big(i));
    cache.get(big(0)); // evicted long ago: compiled again
    expect(compiles).toBe(11);
  });
});
