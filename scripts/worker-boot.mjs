// Entry point of a worker thread of `npm run mutants`: worker threads do not inherit the TypeScript loader of
// the thread that starts them on Node 20, so register tsx here, then load the TypeScript module named in workerData.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
