// Entry of the catalog schema worker thread. The sources are TypeScript run through tsx (as
// bin/eventrag does for the main thread); hooks registered there do not reach worker threads,
// so the worker registers tsx itself before loading its body.
import { register } from 'tsx/esm/api';

register();
await import('./schema-validator.worker.ts');
