// Parallel search on worker threads, with the same result as the single-thread `search()`.
//
// Each worker runs whole batches (see search.ts): it takes the next place k in the search's order of batches from
// a shared counter, so batches are handed out in increasing order and any batch below a given one has already
// been taken. The reported violation comes from the lowest failing batch k* (or, with `polish: P`, the shortest
// among the failing batches k*..k*+P): when a batch k fails, the shared limit drops to k+P, no worker takes a
// batch above it, batches above it that are running are abandoned, and batches below it run to completion (one
// of them may fail and lower the limit again). This thread accepts batch results in batch order only, so the
// runs counted, the coverage and the failure are exactly those of the single-thread search over the same batches:
// the same seed and budget give the same result with any number of workers. Time limits and interrupts set a
// stop flag; each worker abandons its current batch before its next run (the batch is not counted) and stops.

import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { Coverage } from './interpreter.js';
import {
  type BatchPlan,
  type Failure,
  mergeCoverage,
  nthBatch,
  planOf,
  runsInBatch,
  shorter,
  type SearchOptions,
  type SearchOutcome,
} from './search.js';
import type { AnySuite, PropertyDef } from './suite.js';
import { modelTarget, mutantTarget, type Target } from './targets.js';
import { moduleBeside, startWorker } from './worker-start.js';

/** What to search, by name, so that a worker can find it in its own copy of the registry. */
export interface JobRef {
  readonly subsystem: string;
  readonly property: string;
  /** `model` or `mutant:<name>`. */
  readonly target: string;
  /** The specification version (the subsystem's default when omitted). */
  readonly specVersion?: string;
  readonly invariants?: readonly string[];
}

/** Slots of the shared control array of one search. */
export const CONTROL = { next: 0, limit: 1, stop: 2 } as const;
const NO_LIMIT = 0x7fffffff;

export type ToWorker = {
  type: 'search';
  id: number;
  job: JobRef;
  seed: number;
  plan: BatchPlan;
  polish: number;
  /** Collect garbage and report the live heap this often (only where gc is exposed: the benchmark). */
  heapSampleMs?: number;
  control: SharedArrayBuffer;
};

export type FromWorker =
  | { type: 'ready'; heap: number }
  | { type: 'batch'; id: number; k: number; index: number; runs: number; abandoned?: true; failure?: Failure; coverage: [string, number][]; heap: number; liveHeap?: number }
  | { type: 'idle'; id: number; heap: number }
  | { type: 'error'; id: number; message: string; stack: string };

/** Whether a worker can build this target from its label alone (the specification and its mutants). */
export function workerTarget(label: string): boolean {
  return label === 'model' || label.startsWith('mutant:');
}

export function resolveTarget(suite: AnySuite, label: string, version?: string): Target | undefined {
  if (label === 'model') return modelTarget(suite, version);
  if (label.startsWith('mutant:')) return mutantTarget(suite, label.slice('mutant:'.length), version);
  return undefined;
}

export function resolveJob(all: readonly AnySuite[], job: JobRef): { suite: AnySuite; property: PropertyDef; target: Target } {
  const suite = all.find((s) => s.spec.name === job.subsystem);
  if (suite === undefined) throw new Error(`unknown subsystem "${job.subsystem}"`);
  const property = suite.properties.find((p) => p.name === job.property);
  if (property === undefined) throw new Error(`unknown property "${job.property}" of ${job.subsystem}`);
  const target = resolveTarget(suite, job.target, job.specVersion);
  if (target === undefined) throw new Error(`target "${job.target}" of ${job.subsystem} cannot run in a worker`);
  return { suite, property, target };
}

export function defaultWorkers(): number {
  return availableParallelism();
}

const ENTRY = moduleBeside('./parallel-worker', import.meta.url);

type Handler = (message: FromWorker, worker: number) => void;

/** A fixed set of worker threads, started once and reused for every search (one search at a time). */
export class SearchPool {
  private handler: Handler | undefined;
  private onFailure: ((error: Error) => void) | undefined;
  private failed: Error | undefined;
  private closing = false;
  private nextId = 1;
  private busy = false;
  /** The latest heap use (bytes) each worker reported. */
  readonly heap: number[];
  /** The latest heap each worker measured right after a collection (with `heapSampleMs`), 0 before the first. */
  readonly liveHeap: number[];

  private constructor(
    private readonly workers: Worker[],
    private readonly heapSampleMs?: number,
  ) {
    this.heap = workers.map(() => 0);
    this.liveHeap = workers.map(() => 0);
  }

  get size(): number {
    return this.workers.length;
  }

  static async start(size: number, options: { heapSampleMs?: number } = {}): Promise<SearchPool> {
    if (!(Number.isSafeInteger(size) && size >= 1)) throw new Error(`a pool needs at least one worker, not ${size}`);
    const workers = Array.from({ length: size }, () => startWorker(ENTRY));
    const pool = new SearchPool(workers, options.heapSampleMs);
    const ready = workers.map(
      (worker, i) =>
        new Promise<void>((resolve, reject) => {
          worker.on('message', (message: FromWorker) => {
            if ('heap' in message) pool.heap[i] = message.heap;
            if ('liveHeap' in message && message.liveHeap !== undefined) pool.liveHeap[i] = message.liveHeap;
            if (message.type === 'ready') resolve();
            else pool.handler?.(message, i);
          });
          worker.on('error', (error) => {
            pool.fail(error);
            reject(error);
          });
          worker.on('exit', (code) => {
            const error = new Error(`search worker ${i} exited (code ${code})`);
            pool.fail(error);
            reject(error);
          });
        }),
    );
    try {
      await Promise.all(ready);
    } catch (error) {
      await pool.close();
      throw error;
    }
    return pool;
  }

  private fail(error: Error): void {
    if (this.failed === undefined && !this.closing) this.failed = error;
    this.onFailure?.(error);
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  /** The parallel counterpart of `search()`: same options, same outcome. */
  search(job: JobRef, options: SearchOptions): Promise<SearchOutcome> {
    if (this.failed !== undefined) return Promise.reject(this.failed);
    if (this.busy) return Promise.reject(new Error('the pool runs one search at a time'));
    this.busy = true;
    const plan = planOf(options);
    const id = this.nextId++;
    const control = new Int32Array(new SharedArrayBuffer(3 * Int32Array.BYTES_PER_ELEMENT));
    control[CONTROL.limit] = NO_LIMIT;
    const started = Date.now();
    const coverage = new Coverage();
    // Results that arrived ahead of a lower batch still running, keyed by their place k in the plan.
    const held = new Map<number, Extract<FromWorker, { type: 'batch' }>>();
    let prefix = 0; // batches 0..prefix-1 of the plan are accepted, in order
    let runsDone = 0;
    let failure: Failure | undefined;
    let windowEnd = Infinity; // the last place k accepted once a batch has failed
    let idle = 0;
    let stopReason: 'time' | 'interrupted' | undefined;

    return new Promise<SearchOutcome>((resolve, reject) => {
      const stop = (reason: 'time' | 'interrupted') => {
        stopReason ??= reason;
        Atomics.store(control, CONTROL.stop, 1);
      };
      // Polled rather than a timer: a timer longer than 2^31 ms would fire at once.
      const poll = setInterval(() => {
        if (options.shouldStop?.()) stop('interrupted');
        if (options.timeLimitMs !== undefined && Date.now() - started >= options.timeLimitMs) stop('time');
      }, 20);
      const finish = (error?: Error) => {
        clearInterval(poll);
        this.handler = undefined;
        this.onFailure = undefined;
        this.busy = false;
        if (error !== undefined) return reject(error);
        const complete = runsInBatch(plan, nthBatch(plan, prefix)) === 0;
        const stopped: SearchOutcome['stopped'] = failure ? 'failure' : complete ? 'budget' : (stopReason ?? 'budget');
        resolve({
          seed: options.seed,
          runsDone,
          elapsedMs: Date.now() - started,
          stopped,
          coverage,
          resumeRun: (failure ? failure.batch : nthBatch(plan, prefix)) * plan.batchSize,
          ...(failure ? { failure } : {}),
          ...(failure && stopReason && prefix <= windowEnd && !complete ? { cut: stopReason } : {}),
        });
      };
      this.onFailure = (error) => {
        Atomics.store(control, CONTROL.stop, 1);
        finish(error);
      };
      this.handler = (message) => {
        if (!('id' in message) || message.id !== id) return;
        if (message.type === 'error') {
          Atomics.store(control, CONTROL.stop, 1);
          const error = new Error(`search worker: ${message.message}`);
          error.stack = message.stack;
          this.failed = error;
          return finish(error);
        }
        if (message.type === 'idle') {
          if (++idle === this.workers.length) finish();
          return;
        }
        // A batch cut short (beyond the limit, or stopped) is never counted: the search resumes at it.
        if (message.k > windowEnd || message.abandoned) return;
        held.set(message.k, message);
        let accepted = false;
        for (let next = held.get(prefix); next !== undefined && prefix <= windowEnd; next = held.get(prefix)) {
          held.delete(prefix);
          accepted = true;
          mergeCoverage(coverage, next.coverage);
          runsDone += next.runs;
          if (next.failure !== undefined) {
            if (failure === undefined) windowEnd = prefix + (options.polish ?? 0);
            if (failure === undefined || shorter(next.failure, failure)) {
              failure = next.failure;
              options.onFailure?.(failure);
            }
          }
          prefix++;
        }
        if (prefix > windowEnd) held.clear();
        if (accepted && failure === undefined) options.onBatch?.({ runsDone, elapsedMs: Date.now() - started });
        if (options.shouldStop?.()) stop('interrupted');
      };
      const message: ToWorker = { type: 'search', id, job, seed: options.seed, plan, polish: options.polish ?? 0,
        ...(this.heapSampleMs !== undefined ? { heapSampleMs: this.heapSampleMs } : {}), control: control.buffer as SharedArrayBuffer };
      for (const worker of this.workers) worker.postMessage(message);
    });
  }
}
