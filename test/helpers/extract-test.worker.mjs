// A stand-in extraction worker for the pool's tests: the job's bytes name what it does.
import { parentPort } from 'node:worker_threads';

const hoard = [];
parentPort.on('message', (job) => {
  const mode = new TextDecoder().decode(job.data);
  if (mode === 'hang') return;
  if (mode === 'crash') throw new Error('worker crashed');
  if (mode === 'oom') {
    for (;;) hoard.push(Array.from({ length: 100_000 }, (_, i) => ({ i, s: `item ${i}` })));
  }
  parentPort.postMessage({ ok: true, title: null, text: `echo ${mode}` });
});
parentPort.postMessage({ ready: true });
