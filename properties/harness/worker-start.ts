// Starting a worker thread on a module of this project, whether the project runs from its TypeScript sources
// (under tsx) or from a compiled JavaScript build: every worker starts on worker-boot.mjs, which imports the
// module by URL and registers tsx only for a .ts module.
import { Worker, type WorkerOptions } from 'node:worker_threads';

const BOOT = new URL('./worker-boot.mjs', import.meta.url);

/**
 * The URL of module `path` (relative, without extension) resolved against `base` (an `import.meta.url`), with
 * base's own extension: `.ts` when running from the sources, `.js` from a build.
 */
export function moduleBeside(path: string, base: string): URL {
  const extension = /\.[cm]?[jt]s$/.exec(new URL(base).pathname)?.[0] ?? '.js';
  return new URL(`${path}${extension}`, base);
}

/** A worker thread running module `entry`; `data` is passed on as workerData (beside `entry`). */
export function startWorker(entry: URL, data: Record<string, unknown> = {}, options: Omit<WorkerOptions, 'workerData'> = {}): Worker {
  return new Worker(BOOT, { ...options, workerData: { ...data, entry: entry.href } });
}
