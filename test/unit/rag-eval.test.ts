import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mean, mrrAt, ndcgAt, recallAt } from '../../src/rag/eval/metrics.js';
import { runEval } from '../../src/rag/eval/run-eval.js';
import { fuseRrf, fuseWeighted, minMax } from '../../src/adapters/search/embedded/fusion.js';

const rel = (entries: [string, number][]) => new Map(entries);

describe('metrics (hand-computed)', () => {
  it('nDCG@k with linear gain', () => {
    // DCG = 1/log2(3) + 2/log2(4) = 0.63093 + 1 ; IDCG = 2/1 + 1/log2(3) = 2.63093
    expect(ndcgAt(['x', 'a', 'b'], rel([['a', 1], ['b', 2]]), 10)).toBeCloseTo(1.63093 / 2.63093, 5);
    expect(ndcgAt(['b', 'a'], rel([['a', 1], ['b', 2]]), 10)).toBeCloseTo(1, 10);
    expect(ndcgAt(['x', 'a'], rel([['a', 1]]), 1)).toBe(0);
    expect(ndcgAt(['a'], rel([]), 10)).toBe(0);
  });
  it('Recall@k and MRR@k', () => {
    expect(recallAt(['a', 'x', 'b'], rel([['a', 1], ['b', 1], ['c', 1], ['d', 1]]), 2)).toBe(0.25);
    expect(mrrAt(['x', 'y', 'a'], rel([['a', 1]]), 10)).toBeCloseTo(1 / 3, 10);
    expect(mrrAt(['x', 'y', 'a'], rel([['a', 1]]), 2)).toBe(0);
    expect(mean([1, 0, 0.5])).toBe(0.5);
  });
});

describe('fusion', () => {
  it('min-max normalises and weights, missing sides count 0', () => {
    expect([...minMax([{ key: 'a', score: 10 }, { key: 'b', score: 5 }, { key: 'c', score: 0 }]).values()]).toEqual([1, 0.5, 0]);
    const fused = fuseWeighted([{ key: 'a', score: 3 }, { key: 'b', score: 1 }], [{ key: 'b', score: 0.9 }, { key: 'c', score: 0.1 }], 0.3, 3);
    expect(fused).toEqual([{ key: 'a', score: 0.7 }, { key: 'b', score: 0.3 }, { key: 'c', score: 0 }]);
    expect(fuseRrf([[{ key: 'a', score: 1 }], [{ key: 'b', score: 1 }, { key: 'a', score: 0 }]], 2)[0]!.key).toBe('a');
  });
});

describe('runEval', () => {
  it('reads a BEIR folder and scores a target', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'beir-'));
    mkdirSync(join(dir, 'qrels'));
    writeFileSync(join(dir, 'corpus.jsonl'), ['{"_id":"d1","title":"Cats","text":"Cats purr."}', '{"_id":"d2","title":"","text":"Dogs bark."}'].join('\n'));
    writeFileSync(join(dir, 'queries.jsonl'), '{"_id":"q1","text":"cats"}\n{"_id":"q2","text":"dogs"}\n{"_id":"q3","text":"unjudged"}\n');
    writeFileSync(join(dir, 'qrels', 'test.tsv'), 'query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td2\t1\nq2\td1\t0\n');
    const seen: string[] = [];
    const result = await runEval({
      datasetDir: dir,
      target: {
        async index(documents) {
          for await (const document of documents) seen.push(`${document.id}:${document.title}`);
        },
        async search(query) {
          return query === 'cats' ? ['d1', 'd1', 'd2'] : ['d1', 'd2'];
        },
      },
    });
    expect(seen).toEqual(['d1:Cats', 'd2:']);
    expect(result).toMatchObject({ queries: 2, 'recall@100': 1, 'mrr@10': 0.75 });
    expect(result['ndcg@10']).toBeCloseTo((1 + 1 / Math.log2(3)) / 2, 4);
  });
});
