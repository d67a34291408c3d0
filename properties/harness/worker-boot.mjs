// Entry point of every worker thread this project starts (worker-start.ts). workerData.entry is the URL of the
// module the worker runs. A TypeScript module needs tsx, which a worker does not inherit from the thread that
// starts it on Node 20, so tsx is registered here for a .ts module only: a compiled .js build runs without it.
import { workerData } from 'node:worker_threads';

const entry = new URL(workerData.entry);
if (/\.[cm]?ts$/.test(entry.pathname)) {
  const { register } = await import('tsx/esm/api');
  register();
}
await import(entry.href);
