// Parallel search on worker threads, with the same result as the single-thread `search()`.
//
// Each worker runs whole batches (batch.ts): it takes the next place k in the search's order of batches from a
// shared counter, so batches are handed out in increasing order and any batch below a given one has already been
// taken. This thread accepts results in that order only (polish.ts), so the runs counted, the coverage and the
// case reported are exactly those of the single-thread search over the same batches: the same seed and budget
// give the same result with any number of workers. A shared limit says which places can still be accepted: a
// worker whose batch fails lowers it at once (to the last place its case can leave in the polish window), and
// this thread lowers it as it accepts; no worker takes a batch above it, and a batch running above it is
// abandoned. Time limits and interrupts set a stop flag; each worker abandons its current batch before its next
// run (the batch is not counted) and stops.
//
// Workers start only when a search is long enough to gain from them: a search begins in this thread, and only
// if it is still running after `inThisThreadMs` are the workers started; this thread goes on searching while they
// start, and they take over from the first batch not yet run once they are ready. A search of a few
// milliseconds (a seeded bug found at once) never pays for starting threads. Once started, the workers search
// every later search from its first batch.

import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { type BatchPlan, BatchRunner, type Failure } from './batch.js';
import { CoverageDecoder, type EncodedCoverage } from './coverage-codec.js';
import type { PolishRule } from './polish.js';
import { suites } from './registry.js';
import { polishRule, SearchRun, type SearchOptions, type SearchOutcome } from './search.js';
import type { AnySuite, PropertyDef } from './suite.js';
import { parseTargetLabel } from './target-label.js';
import { resolveTarget, type Target } from './targets.js';
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

/** Slots of the shared control array of one search; `next` on a cache line of its own, as every worker bumps it. */
export const CONTROL = { next: 0, limit: 16, stop: 17 } as const;
const CONTROL_SLOTS = 32;
const NO_LIMIT = 0x7fffffff;

/** A place as the shared limit holds it (an Int32): Infinity is no limit. */
export function limitOf(place: number): number {
  return Math.min(place, NO_LIMIT);
}

/** How long a search runs in this thread before the workers are started (when they are not yet). */
export const IN_THIS_THREAD_MS = 150;

export type ToWorker = {
  type: 'search';
  id: number;
  job: JobRef;
  seed: number;
  plan: BatchPlan;
  rule: PolishRule;
  /** Collect garbage and report the live heap this often (only where gc is exposed: the benchmark). */
  heapSampleMs?: number;
  control: SharedArrayBuffer;
};

export type FromWorker =
  | { type: 'ready'; heap: number }
  | { type: 'batch'; id: number; k: number; index: number; runs: number; abandoned?: true; failure?: Failure; coverage: EncodedCoverage; heap: number; liveHeap?: number }
  | { type: 'idle'; id: number; heap: number }
  | { type: 'error'; id: number; message: string; stack: string };

/** Whether a worker can build this target from its label alone (the specification and its mutants). */
export function workerTarget(label: string): boolean {
  const kind = parseTargetLabel(label)?.kind;
  return kind === 'model' || kind === 'mutant';
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

/** Lowers the shared limit to `place` unless it is already lower. */
export function lowerLimit(control: Int32Array, place: number): void {
  const limit = limitOf(place);
  for (;;) {
    const current = Atomics.load(control, CONTROL.limit);
    if (current <= limit || Atomics.compareExchange(control, CONTROL.limit, current, limit) === current) return;
  }
}

const ENTRY = moduleBeside('./parallel-worker', import.meta.url);

type Handler = (message: FromWorker, worker: number) => void;

export interface PoolOptions {
  /** Collect garbage in each worker and report its live heap this often (the benchmark). */
  readonly heapSampleMs?: number;
  /** How long a search runs in this thread before the workers start (default IN_THIS_THREAD_MS); 0 starts them with the pool. */
  readonly inThisThreadMs?: number;
}

/** A fixed set of worker threads, started once (when a search first needs them) and reused for every search (one at a time). */
export class SearchPool {
  private workers: Worker[] = [];
  private starting: Promise<void> | undefined;
  /** Why the workers could not start: every search then runs in this thread. */
  private unavailable: Error | undefined;
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
    readonly size: number,
    private readonly options: PoolOptions,
  ) {
    this.heap = Array.from({ length: size }, () => 0);
    this.liveHeap = Array.from({ length: size }, () => 0);
  }

  /** A pool of `size` workers; with `inThisThreadMs: 0` they are started (and awaited) now, otherwise when a search first needs them. */
  static async start(size: number, options: PoolOptions = {}): Promise<SearchPool> {
    if (!(Number.isSafeInteger(size) && size >= 1)) throw new Error(`a pool needs at least one worker, not ${size}`);
    const pool = new SearchPool(size, options);
    if (options.inThisThreadMs === 0) {
      await pool.startWorkers();
      if (pool.unavailable !== undefined) throw pool.unavailable;
    }
    return pool;
  }

  /** Whether the workers are running (a search then goes to them from its first batch). */
  get running(): boolean {
    return this.workers.length > 0;
  }

  /** Starts the workers now, without waiting for them: a search still begins in this thread until they are ready. */
  startWorkers(): Promise<void> {
    this.starting ??= (async () => {
      const workers = Array.from({ length: this.size }, () => startWorker(ENTRY));
      const ready = workers.map(
        (worker, i) =>
          new Promise<void>((resolve, reject) => {
            worker.on('message', (message: FromWorker) => {
              if ('heap' in message) this.heap[i] = message.heap;
              if ('liveHeap' in message && message.liveHeap !== undefined) this.liveHeap[i] = message.liveHeap;
              if (message.type === 'ready') resolve();
              else this.handler?.(message, i);
            });
            worker.on('error', (error) => {
              this.fail(error);
              reject(error);
            });
            worker.on('exit', (code) => {
              const error = new Error(`search worker ${i} exited (code ${code})`);
              this.fail(error);
              reject(error);
            });
          }),
      );
      try {
        await Promise.all(ready);
        if (this.closing) throw new Error('the pool was closed');
        this.workers = workers;
      } catch (error) {
        this.unavailable = error as Error;
        await Promise.all(workers.map((w) => w.terminate()));
        if (!this.closing && this.options.inThisThreadMs !== 0)
          process.stderr.write(`warning: the ${this.size} search workers could not start (${(error as Error).message}); searching in this thread\n`);
      }
    })();
    return this.starting;
  }

  private fail(error: Error): void {
    if (!this.running) return; // still starting: startWorkers reports it
    if (this.failed === undefined && !this.closing) this.failed = error;
    this.onFailure?.(error);
  }

  async close(): Promise<void> {
    this.closing = true;
    await this.starting;
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  /** The parallel counterpart of `search()`: same options, same outcome. */
  async search(job: JobRef, options: SearchOptions): Promise<SearchOutcome> {
    if (this.failed !== undefined) throw this.failed;
    if (this.busy) throw new Error('the pool runs one search at a time');
    this.busy = true;
    try {
      const { suite, property, target } = resolveJob(suites, job);
      const invariants = job.invariants ?? options.invariants;
      const run = new SearchRun(options, polishRule(suite, property, target, options));
      if (!this.running) {
        const waitMs = this.options.inThisThreadMs ?? IN_THIS_THREAD_MS;
        const runner = new BatchRunner(suite, property, target, options.seed, run.plan.batchSize, invariants);
        await run.runHere(runner, () => {
          if (this.unavailable === undefined && Date.now() - run.started >= waitMs) void this.startWorkers();
          return this.running;
        });
        if (run.finished) return run.outcome();
      }
      await this.onWorkers({ ...job, ...(invariants !== undefined ? { invariants } : {}) }, run);
      return run.outcome();
    } finally {
      this.busy = false;
    }
  }

  /** Runs the rest of `run` (from its first place not accepted) on the workers. */
  private onWorkers(job: JobRef, run: SearchRun): Promise<void> {
    const { accepted } = run;
    const id = this.nextId++;
    const control = new Int32Array(new SharedArrayBuffer(CONTROL_SLOTS * Int32Array.BYTES_PER_ELEMENT));
    control[CONTROL.next] = accepted.next;
    control[CONTROL.limit] = limitOf(accepted.bound);
    // Results that arrived ahead of a lower batch still running, keyed by their place k in the plan.
    const held = new Map<number, { runs: number; failure?: Failure; coverage: [string, number][] }>();
    const decoders = this.workers.map(() => new CoverageDecoder());
    let idle = 0;
    return new Promise<void>((resolve, reject) => {
      const stop = (reason: 'time' | 'interrupted') => {
        run.stopReason ??= reason;
        Atomics.store(control, CONTROL.stop, 1);
      };
      // Polled rather than a timer: a timer longer than 2^31 ms would fire at once.
      const poll = setInterval(() => {
        const reason = run.mustStop();
        if (reason !== undefined) stop(reason);
      }, 20);
      const finish = (error?: Error) => {
        clearInterval(poll);
        this.handler = undefined;
        this.onFailure = undefined;
        if (error !== undefined) reject(error);
        else resolve();
      };
      this.onFailure = (error) => {
        Atomics.store(control, CONTROL.stop, 1);
        finish(error);
      };
      this.handler = (message, worker) => {
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
        // Every message is decoded (it may carry keys later ones use), though a batch cut short (beyond the
        // limit, or stopped) is never counted: the search resumes at it.
        const coverage = (decoders[worker] as CoverageDecoder).decode(message.coverage);
        if (message.abandoned || message.k > accepted.bound) return;
        held.set(message.k, { runs: message.runs, coverage, ...(message.failure ? { failure: message.failure } : {}) });
        let taken = false;
        for (let next = held.get(accepted.next); next !== undefined && !accepted.done; next = held.get(accepted.next)) {
          held.delete(accepted.next);
          accepted.take(next);
          taken = true;
        }
        if (accepted.done) held.clear();
        lowerLimit(control, accepted.bound);
        if (taken) run.progressed();
        if (run.options.shouldStop?.()) stop('interrupted');
      };
      const message: ToWorker = {
        type: 'search',
        id,
        job,
        seed: run.options.seed,
        plan: run.plan,
        rule: run.rule,
        ...(this.options.heapSampleMs !== undefined ? { heapSampleMs: this.options.heapSampleMs } : {}),
        control: control.buffer as SharedArrayBuffer,
      };
      for (const worker of this.workers) worker.postMessage(message);
    });
  }
}
