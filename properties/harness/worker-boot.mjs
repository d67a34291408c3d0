// Entry point of a search worker thread: worker threads do not inherit the TypeScript loader of the thread
// that starts them on Node 20, so register tsx here and then load the TypeScript worker named in workerData.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
