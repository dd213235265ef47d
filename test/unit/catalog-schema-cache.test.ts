import type { ValidateFunction } from 'ajv';
import { describe, expect, it } from 'vitest';
import { CompiledSchemas, schemaKey } from '../../src/events/catalog/schema-cache.js';
import { AppError } from '../../src/platform/errors.js';

const get = (cache: CompiledSchemas, schema: unknown) => { const text = JSON.stringify(schema); return cache.get(schemaKey(text), text); };

describe('compiled schemas are kept by content', () => {
  it('compiles one schema text once and remembers refusals', () => {
    const calls: string[] = [];
    const cache = new CompiledSchemas((text) => {
      calls.push(text);
      if (text.includes('bad')) throw new AppError('CATALOG_SCHEMA_UNSAFE', { detail: 'bad' });
      return (() => true) as unknown as ValidateFunction;
    });
    const first = get(cache, { type: 'object' });
    expect(get(cache, { type: 'object' })).toBe(first);
    expect(() => get(cache, { bad: true })).toThrow('bad');
    expect(() => get(cache, { bad: true })).toThrow('bad');
    get(cache, { type: 'string' });
    expect(calls).toEqual(['{"type":"object"}', '{"bad":true}', '{"type":"string"}']);
  });

  it('is bounded by the bytes of the schemas it holds', () => {
    let compiles = 0;
    const cache = new CompiledSchemas(() => { compiles++; return (() => true) as unknown as ValidateFunction; }, 4096);
    const big = (i: number) => ({ description: `${i}`.padEnd(1000, 'x') });
    for (let i = 0; i < 10; i++) get(cache, big(i));
    get(cache, big(0)); // evicted long ago: compiled again
    expect(compiles).toBe(11);
  });
});
