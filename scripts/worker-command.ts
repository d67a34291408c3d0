// A command whose work runs on a worker thread: talking to an implementation blocks the thread that does it (one
// synchronous round trip per operation), and a blocked thread cannot take a signal. The main thread only starts
// the worker and takes signals: the first Ctrl-C (SIGINT) sets a flag the worker reads before every request; a
// second one, or SIGTERM, ends the process at once (the implementation and everything it started go with it:
// process-worker.mjs). This module loads nothing of the suite, so the main thread starts at once.

import { writeSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { startWorker } from '../properties/harness/worker-start.js';
import { onInterrupt } from './interrupt.js';

/** scripts/cli.ts's EXIT.usage, here so that the main thread loads nothing of the suite. */
const EXIT_USAGE = 2;

/**
 * Writes at once, from the worker thread too: its process.stdout and process.stderr are forwarded to the main
 * thread only when its event loop turns, which a search against a slow implementation may not do for minutes.
 */
export function writeNow(fd: 1 | 2, text: string): void {
  const bytes = Buffer.from(text);
  for (let at = 0; at < bytes.length; ) {
    try {
      at += writeSync(fd, bytes, at);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EPIPE') return; // the reader went away (`| head`): nothing more to show
      if (code !== 'EAGAIN') throw error;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5); // a full pipe: wait for the reader
    }
  }
}

/** On the main thread: runs module `entry` (the command itself) on a worker with this process's arguments, and takes the signals. */
export function superviseWorker(entry: string, interruptMessage: string): void {
  const stopFlag = new Int32Array(new SharedArrayBuffer(4));
  const worker = startWorker(new URL(entry), { args: process.argv.slice(2), stopFlag });
  let exitCode: number | undefined;
  worker.on('message', (message: { exitCode?: number }) => (exitCode = message.exitCode));
  worker.on('error', (error) => {
    process.stderr.write(`internal error: ${error.stack ?? String(error)}\n`);
    exitCode = EXIT_USAGE;
  });
  worker.on('exit', () => {
    process.exitCode = exitCode ?? EXIT_USAGE;
  });
  /** Ends the process at once, by the signal's default action: the implementation goes with it (its guardian). */
  const abort = (signal: 'SIGINT' | 'SIGTERM', why: string) => {
    process.stderr.write(`\n${why}: aborted at once; nothing more is saved\n`);
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
  };
  onInterrupt(() => {
    Atomics.store(stopFlag, 0, 1);
    process.stderr.write(`\n${interruptMessage}\n`);
  }, () => abort('SIGINT', 'second interrupt'));
  process.on('SIGTERM', () => abort('SIGTERM', 'terminated'));
}

/** On the worker: runs the command on the arguments the main thread passed, `interrupted` reading its flag. */
export async function runOnWorker(run: (args: string[], interrupted: () => boolean) => Promise<number>): Promise<void> {
  const { args, stopFlag } = workerData as { args: string[]; stopFlag: Int32Array };
  const { main } = await import('./cli.js');
  await main(() => run(args, () => Atomics.load(stopFlag, 0) !== 0));
  parentPort?.postMessage({ exitCode: process.exitCode ?? 0 });
}
