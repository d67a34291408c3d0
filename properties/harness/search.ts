// The search: fast-check generates operation lists for one property, the interpreter runs each against the
// target, and the first violation is shrunk to a minimal list.
//
// The search runs batches (batch.ts): batch i holds runs i*batchSize .. (i+1)*batchSize-1 of the budget and runs
// with its own fast-check seed, derived from the main seed and i alone, so its outcome depends on nothing but
// (seed, i). That is what makes the search resumable (start at a batch), shardable (machine I of N takes the
// batches i with i % N == I) and parallel (workers take batches in any order) without changing its result.
// Results are accepted in the search's order of batches (polish.ts): the case reported comes from the LOWEST
// failing batch, or, with a polish window, is the shortest among the failing batches of the window after it.
// Batches above the window are abandoned, every batch below it runs to completion. A single loop, any number of
// workers, and any split into shards (taking the lowest over the shards) all report the same case for the same
// seed and run budget.
//
// Stopping (a time limit or an interrupt) is honoured before every run, not only between batches: the batch that
// was running is cut short and discarded as a whole (its runs, coverage and any failure are not counted), so the
// search resumed at `resumeRun` runs it again from its start and the two parts together are exactly the whole
// search. A run during which the deadline passed is void too: an external implementation whose answer was cut
// short by the deadline (see `searchDeadline`) cannot produce a false violation.

import { type BatchPlan, BatchRunner, type Failure, nthBatch, planOf, runsInBatch, type Shard } from './batch.js';
import type { Coverage } from './interpreter.js';
import { Accepted, type PolishRule, shortestPossible } from './polish.js';
import type { AnySuite, PropertyDef } from './suite.js';
import type { Target } from './targets.js';

export {
  BatchRunner,
  batchSeed,
  DEFAULT_BATCH,
  mergeCoverage,
  minimize,
  nthBatch,
  planOf,
  plannedRuns,
  runsInBatch,
  WHOLE,
  type BatchPlan,
  type BatchResult,
  type Failure,
  type Shard,
} from './batch.js';
export { shorter } from './polish.js';

export interface SearchOptions {
  readonly seed: number;
  /** Total runs of the whole search (all shards together); with `timeLimitMs`, the search also stops when time is up. */
  readonly runs: number;
  readonly timeLimitMs?: number;
  /** Restrict the invariants checked (by name); the property's own set otherwise. */
  readonly invariants?: readonly string[];
  readonly batchSize?: number;
  /** Index of the first run (a multiple of the batch size), to resume an interrupted search. */
  readonly startRun?: number;
  /** Run only this shard's batches. */
  readonly shard?: Shard;
  /**
   * Batches to run after the first failing one, and again after each shorter case, keeping the shortest (default
   * 0: stop at the first); a case of the shortest possible length ends the search at once (polish.ts).
   */
  readonly polish?: number;
  readonly onBatch?: (progress: { runsDone: number; elapsedMs: number }) => void;
  /** Polled before every run; true stops the search cleanly (the batch that was running is discarded). */
  readonly shouldStop?: () => boolean;
  /**
   * Called as soon as the case the search will report changes (the first failing batch, then any shorter one of
   * the polish window), already shrunk, so that it can be saved before the search ends.
   */
  readonly onFailure?: (failure: Failure) => void;
  /** Called at the first failing run of each failing batch, before it is shrunk (in this thread only: the benchmark times it). */
  readonly onFailingRun?: () => void;
}

export interface SearchOutcome {
  readonly seed: number;
  /** Runs this search executed (a failing batch counts up to its failing run). */
  readonly runsDone: number;
  readonly elapsedMs: number;
  readonly failure?: Failure;
  readonly stopped: 'budget' | 'time' | 'interrupted' | 'failure';
  readonly coverage: Coverage;
  /** Where to resume (`startRun`) to continue this search: the first run of the lowest batch not completed. */
  readonly resumeRun: number;
  /**
   * Set when a failure was found but the search stopped (interrupt or time) before its polish window was complete:
   * the case reported is the shortest so far, and resuming at `resumeRun` (the failing batch) gives the polished one.
   */
  readonly cut?: 'interrupted' | 'time';
}

let activeDeadline: number | undefined;

/**
 * The time (ms since the epoch) at which the search running in this thread must stop, if it has a time limit.
 * An adapter that waits for an external implementation caps each wait at it; a run during which it passes is
 * discarded by the search, whatever the adapter returned.
 */
export function searchDeadline(): number | undefined {
  return activeDeadline;
}

/** The command line's polish window: batches searched after the first failing one, and after each shorter case. */
export const DEFAULT_POLISH = 32;

/** One search in progress: its plan, what it has accepted, its clock and why it stopped. Shared by search() and the worker pool. */
export class SearchRun {
  readonly plan: BatchPlan;
  readonly accepted: Accepted;
  readonly started = Date.now();
  readonly deadline: number | undefined;
  stopReason: 'time' | 'interrupted' | undefined;

  constructor(
    readonly options: SearchOptions,
    readonly rule: PolishRule,
  ) {
    this.plan = planOf(options);
    this.accepted = new Accepted(rule, options.onFailure);
    this.deadline = options.timeLimitMs !== undefined ? this.started + options.timeLimitMs : undefined;
  }

  /** Every planned batch is accepted. */
  get complete(): boolean {
    return runsInBatch(this.plan, nthBatch(this.plan, this.accepted.next)) === 0;
  }

  /** Nothing more to run: the budget is spent, the polish window is complete, or the search was stopped. */
  get finished(): boolean {
    return this.complete || this.accepted.done || this.stopReason !== undefined;
  }

  mustStop(): 'interrupted' | 'time' | undefined {
    return this.options.shouldStop?.() ? 'interrupted' : this.deadline !== undefined && Date.now() >= this.deadline ? 'time' : undefined;
  }

  /** After a result was accepted: progress, while nothing has failed. */
  progressed(): void {
    if (this.accepted.failure === undefined) this.options.onBatch?.({ runsDone: this.accepted.runsDone, elapsedMs: Date.now() - this.started });
  }

  /**
   * Runs the next batches in this thread, one at a time (yielding to the event loop between them), until the
   * search is finished or `handOver()` is true before a batch (the rest is then run elsewhere, from `accepted.next`).
   */
  async runHere(runner: BatchRunner, handOver: () => boolean = () => false): Promise<void> {
    const outer = activeDeadline;
    activeDeadline = this.deadline;
    try {
      while (!this.finished && !handOver()) {
        let reason = this.mustStop();
        if (reason !== undefined) {
          this.stopReason = reason;
          break;
        }
        const index = nthBatch(this.plan, this.accepted.next);
        const batch = runner.run(index, runsInBatch(this.plan, index), {
          abandon: () => (reason ??= this.mustStop()) !== undefined,
          ...(this.options.onFailingRun ? { onFailing: this.options.onFailingRun } : {}),
        });
        if (batch.abandoned) {
          this.stopReason = reason ?? 'interrupted';
          break;
        }
        this.accepted.take(batch);
        this.progressed();
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    } finally {
      activeDeadline = outer;
    }
  }

  outcome(): SearchOutcome {
    const { failure, runsDone, coverage, next } = this.accepted;
    const complete = this.complete;
    return {
      seed: this.options.seed,
      runsDone,
      elapsedMs: Date.now() - this.started,
      stopped: failure ? 'failure' : complete ? 'budget' : (this.stopReason ?? 'budget'),
      coverage,
      resumeRun: (failure ? failure.batch : nthBatch(this.plan, next)) * this.plan.batchSize,
      ...(failure ? { failure } : {}),
      ...(failure && this.stopReason && !this.accepted.done && !complete ? { cut: this.stopReason } : {}),
    };
  }
}

/** The polish rule of a search: its window, and the shortest case it can find. */
export function polishRule(suite: AnySuite, property: PropertyDef, target: Target, options: Pick<SearchOptions, 'polish'>): PolishRule {
  return { window: options.polish ?? 0, shortest: shortestPossible(suite, property, target) };
}

/** Runs one property against one target in this thread. Synchronous per batch; yields to the event loop between batches. */
export async function search(suite: AnySuite, property: PropertyDef, target: Target, options: SearchOptions): Promise<SearchOutcome> {
  const run = new SearchRun(options, polishRule(suite, property, target, options));
  await run.runHere(new BatchRunner(suite, property, target, options.seed, run.plan.batchSize, options.invariants));
  return run.outcome();
}
