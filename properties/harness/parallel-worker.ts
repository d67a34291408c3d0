// One search worker thread (started by parallel.ts through worker-start.ts). It loads the registry once, then for
// each search takes places in the batch order from the shared counter, runs those batches, and posts each result.
// It stops when the plan is exhausted, when the shared stop flag is set, or when the place it would take lies
// beyond the shared limit (the last place a failing batch's case can leave in the polish window, polish.ts); a
// batch beyond the limit is abandoned mid-way (its remaining runs pass at once) and its result ignored. The stop flag (time up, interrupt) abandons
// the running batch the same way, before its next run: it is reported `abandoned` and never counted.

import { getHeapStatistics } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parentPort } from 'node:worker_threads';
import { BatchRunner, nthBatch, runsInBatch } from './batch.js';
import { CoverageEncoder } from './coverage-codec.js';
import { CONTROL, lowerLimit, resolveJob, type FromWorker, type ToWorker } from './parallel.js';
import { lastPlaceAfterFailure } from './polish.js';
import { suites } from './registry.js';

const port = parentPort;
if (port === null) throw new Error('parallel-worker.ts runs only as a worker thread');
const post = (message: FromWorker) => port.postMessage(message);
const heap = () => getHeapStatistics().used_heap_size;
// Garbage collection on demand exists only when the process runs with --expose-gc (the benchmark sets it, to
// measure the heap that stays live); a search otherwise never collects by hand.
let collect: (() => void) | undefined;
try {
  collect = runInNewContext('gc') as () => void;
} catch {
  collect = undefined;
}

function runSearch(message: Extract<ToWorker, { type: 'search' }>): void {
  const { id, plan, rule } = message;
  const control = new Int32Array(message.control);
  const { suite, property, target } = resolveJob(suites, message.job);
  const runner = new BatchRunner(suite, property, target, message.seed, plan.batchSize, message.job.invariants);
  const encoder = new CoverageEncoder();
  let nextSample = 0;
  for (;;) {
    if (Atomics.load(control, CONTROL.stop) !== 0) break;
    const k = Atomics.add(control, CONTROL.next, 1);
    const index = nthBatch(plan, k);
    const numRuns = runsInBatch(plan, index);
    if (numRuns === 0 || k > Atomics.load(control, CONTROL.limit)) break;
    const result = runner.run(index, numRuns, {
      abandon: () => Atomics.load(control, CONTROL.limit) < k || Atomics.load(control, CONTROL.stop) !== 0,
      onFailing: (length) => lowerLimit(control, lastPlaceAfterFailure(rule, k, length)),
    });
    if (result.failure !== undefined) lowerLimit(control, lastPlaceAfterFailure(rule, k, result.failure.operations.length));
    let liveHeap: number | undefined;
    if (message.heapSampleMs !== undefined && collect !== undefined && Date.now() >= nextSample) {
      nextSample = Date.now() + message.heapSampleMs;
      collect();
      liveHeap = heap();
    }
    post({
      type: 'batch',
      id,
      k,
      index,
      runs: result.runs,
      ...(result.abandoned ? { abandoned: true } : {}),
      ...(result.failure ? { failure: result.failure } : {}),
      coverage: encoder.encode(result.coverage.counts),
      heap: heap(),
      ...(liveHeap !== undefined ? { liveHeap } : {}),
    });
  }
  post({ type: 'idle', id, heap: heap() });
}

port.on('message', (message: ToWorker) => {
  if (message.type !== 'search') return;
  try {
    runSearch(message);
  } catch (error) {
    const e = error instanceof Error ? error : new Error(String(error));
    post({ type: 'error', id: message.id, message: e.message, stack: e.stack ?? e.message });
  }
});
post({ type: 'ready', heap: heap() });
