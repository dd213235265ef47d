// A stand-in worker for the generic pool's tests: the job (a string) names what it does.
import { parentPort, threadId } from 'node:worker_threads';

const hoard = [];
parentPort.on('message', (job) => {
  if (job === 'hang') return;
  if (job === 'crash') throw new Error('worker crashed');
  if (job === 'oom') {
    for (;;) hoard.push(Array.from({ length: 100_000 }, (_, i) => ({ i, s: `item ${i}` })));
  }
  if (job === 'stage-then-hang') { parentPort.postMessage({ stage: 'slow' }); return; }
  parentPort.postMessage({ echo: job, thread: threadId });
});
parentPort.postMessage('ready');
