/**
 * The model's bounds under a hostile workload: steps over 500 types drawn at random (skewed),
 * so new contexts keep coming and eviction runs all the time. Reports the most contexts ever
 * held, learning and prediction rates, and the heap the model keeps (measured after a GC).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { NextActionModel } from '../../src/analytics/predict/markov.js';
import { seededRandom } from '../../src/platform/random.js';

export interface StressFigures {
  steps: number;
  types: number;
  maxContexts: number;
  mostContextsHeld: number;
  observesPerSecond: number;
  predictMicros: number;
  heapMb: number;
}

/** A collector to measure retained heap; `--expose-gc` can be set at run time for a new context. */
function collector(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

export function stressModel(steps: number): StressFigures {
  const gc = collector();
  gc();
  const heapBefore = process.memoryUsage().heapUsed;
  const model = new NextActionModel();
  const random = seededRandom(1);
  const types = Array.from({ length: 500 }, (_, i) => `type.${i}`);
  const draw = () => types[Math.floor(random() * random() * types.length)]!;
  const recent: string[] = [];
  let mostContextsHeld = 0;
  const started = performance.now();
  for (let i = 0; i < steps; i += 1) {
    const type = draw();
    model.observe(recent, type);
    recent.push(type);
    if (recent.length > 3) recent.shift();
    mostContextsHeld = Math.max(mostContextsHeld, model.contextCount);
  }
  const observesPerSecond = steps / ((performance.now() - started) / 1000);
  const contexts = Array.from({ length: 10_000 }, () => [draw(), draw(), draw()]);
  const predictStarted = performance.now();
  for (const context of contexts) model.predict(context, 3);
  const predictMicros = ((performance.now() - predictStarted) * 1000) / contexts.length;
  gc();
  const heapMb = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;
  return { steps, types: model.typeCount, maxContexts: model.maxContexts, mostContextsHeld, observesPerSecond, predictMicros, heapMb };
}
