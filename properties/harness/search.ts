// The search: fast-check generates operation lists for one property, the interpreter runs each against the
// target, and the first violation is shrunk to a minimal list.
//
// Runs are grouped into batches of `batchSize`, numbered 0, 1, 2, ... Batch i runs with its own fast-check
// seed, derived from the main seed and i alone, and holds the runs i*batchSize .. (i+1)*batchSize-1 of the
// budget. A batch's outcome therefore depends on nothing but (seed, i), which is what makes the search
// resumable (start at a batch), shardable (machine I of N takes the batches i with i % N == I) and parallel
// (workers take batches in any order) without changing its result. The rule that decides which violation is
// reported: the one from the batch with the LOWEST index among those the search runs; batches above it are
// abandoned, every batch below it runs to completion. A single loop, any number of workers, and any split into
// shards (taking the lowest over the shards) all report the same case for the same seed and run budget.
//
// With `polish: P`, the search does not stop at the lowest failing batch k (counted in the search's own order of
// batches) but also runs its next P batches, and reports the SHORTEST shrunk case among the failing batches
// k..k+P (the lowest batch among equals). Shrinking only removes and simplifies; a second failing run often
// starts from a different shape and ends shorter. The rule stays deterministic and independent of the workers.
//
// Stopping (a time limit or an interrupt) is honoured before every run, not only between batches: the batch that
// was running is cut short and discarded as a whole (its runs, coverage and any failure are not counted), so the
// search resumed at `resumeRun` runs it again from its start and the two parts together are exactly the whole
// search. A run during which the deadline passed is void too: an external implementation whose answer was cut
// short by the deadline (see `searchDeadline`) cannot produce a false violation.

import fc from 'fast-check';
import type { Invariant } from '../../model/common/spec.js';
import type { Operation } from '../../model/common/values.js';
import { Coverage, execute, type Violation } from './interpreter.js';
import type { AnySuite, PropertyDef } from './suite.js';
import type { Target } from './targets.js';

/** Machine `index` (0-based) of `count` takes the batches whose index is `index` modulo `count`. */
export interface Shard {
  readonly index: number;
  readonly count: number;
}

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
  /** Batches to run after the first failing one, keeping the shortest case (default 0: stop at the first). */
  readonly polish?: number;
  readonly onBatch?: (progress: { runsDone: number; elapsedMs: number }) => void;
  /** Polled before every run; true stops the search cleanly (the batch that was running is discarded). */
  readonly shouldStop?: () => boolean;
  /**
   * Called as soon as the case the search will report changes (the first failing batch, then any shorter one of
   * the polish window), already shrunk, so that it can be saved before the search ends.
   */
  readonly onFailure?: (failure: Failure) => void;
}

export interface Failure {
  readonly operations: Operation[];
  readonly violation: Violation;
  /** The fast-check seed of the batch that found it, and the path of the shrunk case in it. */
  readonly seed: number;
  readonly path: string;
  /** The number of the failing run in the search's sequence of runs (batch * batchSize + its run in the batch), counted over all shards. */
  readonly runs: number;
  readonly shrinks: number;
  /** The batch that found it. */
  readonly batch: number;
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

export const DEFAULT_BATCH = 100;

let activeDeadline: number | undefined;

/**
 * The time (ms since the epoch) at which the search running in this thread must stop, if it has a time limit.
 * An adapter that waits for an external implementation caps each wait at it; a run during which it passes is
 * discarded by the search, whatever the adapter returned.
 */
export function searchDeadline(): number | undefined {
  return activeDeadline;
}
/** The command line's polish window (batches searched after the first failing one for a shorter case). */
export const DEFAULT_POLISH = 8;

/** A 32-bit seed for batch `index` of a search, derived deterministically from the main seed. */
export function batchSeed(seed: number, index: number): number {
  // The seed and the index are each mixed on their own before they meet: combined raw (seed ^ index), seed 1's
  // batches would be seed 2's in another order, and neighbouring seeds would search largely the same cases.
  return mix32(mix32(seed ^ 0x9e3779b9) ^ mix32(index + 0x7f4a7c15)) | 0;
}

/** MurmurHash3's 32-bit finaliser: every input bit affects every output bit. */
function mix32(x: number): number {
  let h = x >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

export function selectInvariants(suite: AnySuite, property: PropertyDef, names?: readonly string[]): Invariant<unknown>[] {
  const wanted = names ?? property.invariants;
  const all = suite.spec.invariants as readonly Invariant<unknown>[];
  return wanted === undefined ? [...all] : all.filter((i) => wanted.includes(i.name));
}

/** Which batches a search runs: the budget, the batch size, where it starts, and its shard. */
export interface BatchPlan {
  readonly runs: number;
  readonly batchSize: number;
  readonly startBatch: number;
  readonly shard: Shard;
}

export const WHOLE: Shard = { index: 0, count: 1 };

export function planOf(options: Pick<SearchOptions, 'runs' | 'batchSize' | 'startRun' | 'shard'>): BatchPlan {
  const batchSize = options.batchSize ?? DEFAULT_BATCH;
  const startRun = options.startRun ?? 0;
  if (startRun % batchSize !== 0) throw new Error(`the first run (${startRun}) must be a multiple of the batch size (${batchSize})`);
  const shard = options.shard ?? WHOLE;
  if (!(shard.count >= 1 && shard.index >= 0 && shard.index < shard.count)) throw new Error(`no shard ${shard.index + 1} of ${shard.count}`);
  return { runs: options.runs, batchSize, startBatch: startRun / batchSize, shard };
}

/** The global index of the k-th (0-based) batch this plan runs. */
export function nthBatch(plan: BatchPlan, k: number): number {
  const { index, count } = plan.shard;
  const first = plan.startBatch + ((((index - plan.startBatch) % count) + count) % count);
  return first + k * count;
}

/** How many runs batch `index` holds under the budget (0 when it lies beyond it). */
export function runsInBatch(plan: BatchPlan, index: number): number {
  return Math.max(0, Math.min(plan.batchSize, plan.runs - index * plan.batchSize));
}

/** The runs a plan holds in all (Infinity for an unbounded budget). */
export function plannedRuns(plan: BatchPlan): number {
  if (!Number.isFinite(plan.runs)) return Infinity;
  let total = 0;
  for (let k = 0; ; k++) {
    const n = runsInBatch(plan, nthBatch(plan, k));
    if (n === 0) return total;
    total += n;
  }
}

export interface BatchResult {
  readonly index: number;
  /** Runs counted: the whole batch, or up to and including the failing run. */
  readonly runs: number;
  readonly failure?: Failure;
  /** What the batch exercised, shrinking included. */
  readonly coverage: Coverage;
  /** The batch was cut short by `abandon`: its result means nothing and must not be counted. */
  readonly abandoned?: true;
}

export interface BatchHooks {
  /**
   * Polled before and after every run of the batch (shrinking included): once true, the remaining runs pass at
   * once and the batch comes back `abandoned`.
   */
  readonly abandon?: () => boolean;
  /** Called once, at the batch's first failing run, before shrinking. */
  readonly onFailing?: () => void;
}

/** Runs single batches of one property against one target. The same (seed, index) always gives the same result. */
export class BatchRunner {
  private readonly invariants: Invariant<unknown>[];
  private coverage = new Coverage();
  private hooks: BatchHooks = {};
  private failing = false;
  private abandoned = false;
  private readonly predicate: fc.IPropertyWithHooks<[Operation[]]>;

  constructor(
    private readonly suite: AnySuite,
    private readonly property: PropertyDef,
    private readonly target: Target,
    private readonly seed: number,
    private readonly batchSize: number = DEFAULT_BATCH,
    invariantNames?: readonly string[],
  ) {
    this.invariants = selectInvariants(suite, property, invariantNames);
    this.predicate = fc.property(property.operations, (operations) => {
      if (this.abandoned || this.hooks.abandon?.()) return (this.abandoned = true);
      const run = execute(suite.spec, target.createModel(), operations, { invariants: this.invariants, coverage: this.coverage });
      // A run during which the search was told to stop (its deadline passed mid-answer) proves nothing.
      if (this.hooks.abandon?.()) return (this.abandoned = true);
      if (run.violation === undefined) return true;
      if (!this.failing) {
        this.failing = true;
        this.hooks.onFailing?.();
      }
      return false;
    });
  }

  run(index: number, numRuns: number, hooks: BatchHooks = {}): BatchResult {
    const coverage = (this.coverage = new Coverage());
    this.hooks = hooks;
    this.failing = false;
    this.abandoned = false;
    const seed = batchSeed(this.seed, index);
    const details = fc.check(this.predicate, { seed, numRuns });
    this.hooks = {};
    const cut = () => this.abandoned || (this.abandoned = hooks.abandon?.() === true);
    if (cut()) return { index, runs: details.numRuns, coverage, abandoned: true };
    if (details.failed && details.counterexample !== null) {
      const fails = (ops: readonly Operation[]) =>
        cut() ? undefined : execute(this.suite.spec, this.target.createModel(), ops, { invariants: this.invariants }).violation;
      const operations = minimize(details.counterexample[0], fails);
      if (cut()) return { index, runs: details.numRuns, coverage, abandoned: true };
      const replayed = execute(this.suite.spec, this.target.createModel(), operations, { invariants: this.invariants });
      if (replayed.violation === undefined) throw new Error(`the shrunk case of ${this.property.name} did not fail again: the target is not deterministic`);
      const failure: Failure = {
        operations,
        violation: replayed.violation,
        seed,
        path: details.counterexamplePath ?? '',
        runs: index * this.batchSize + details.numRuns,
        shrinks: details.numShrinks,
        batch: index,
      };
      return { index, runs: details.numRuns, failure, coverage };
    }
    if (details.failed) throw details.errorInstance ?? new Error(`property ${this.property.name} failed without a counterexample`);
    return { index, runs: numRuns, coverage };
  }
}

export function mergeCoverage(into: Coverage, from: Coverage | Iterable<readonly [string, number]>): void {
  const entries = from instanceof Coverage ? from.counts : from;
  for (const [key, n] of entries) into.counts.set(key, (into.counts.get(key) ?? 0) + n);
}

/** Runs one property against one target in this thread. Synchronous per batch; yields to the event loop between batches. */
export async function search(suite: AnySuite, property: PropertyDef, target: Target, options: SearchOptions): Promise<SearchOutcome> {
  const plan = planOf(options);
  const runner = new BatchRunner(suite, property, target, options.seed, plan.batchSize, options.invariants);
  const coverage = new Coverage();
  const started = Date.now();
  const deadline = options.timeLimitMs !== undefined ? started + options.timeLimitMs : undefined;
  const mustStop = (): 'interrupted' | 'time' | undefined =>
    options.shouldStop?.() ? 'interrupted' : deadline !== undefined && Date.now() >= deadline ? 'time' : undefined;
  let runsDone = 0;
  let found: Failure | undefined;
  let windowEnd = Infinity; // the last batch (in this search's order) to run once a batch has failed
  let stopped: SearchOutcome['stopped'] = 'budget';
  let cut: SearchOutcome['cut'];
  let k = 0;
  const outer = activeDeadline;
  activeDeadline = deadline;
  try {
    for (; k <= windowEnd; k++) {
      const index = nthBatch(plan, k);
      const numRuns = runsInBatch(plan, index);
      if (numRuns === 0) break;
      let reason = mustStop();
      if (reason !== undefined) {
        stopped = cut = reason;
        break;
      }
      const batch = runner.run(index, numRuns, { abandon: () => (reason ??= mustStop()) !== undefined });
      if (batch.abandoned) {
        stopped = cut = reason ?? 'interrupted';
        break;
      }
      mergeCoverage(coverage, batch.coverage);
      runsDone += batch.runs;
      if (batch.failure !== undefined) {
        if (found === undefined) windowEnd = k + (options.polish ?? 0);
        if (found === undefined || shorter(batch.failure, found)) {
          found = batch.failure;
          options.onFailure?.(found);
        }
      }
      if (found === undefined) options.onBatch?.({ runsDone, elapsedMs: Date.now() - started });
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  } finally {
    activeDeadline = outer;
  }
  if (found !== undefined) stopped = 'failure';
  const resumeRun = (found ? found.batch : nthBatch(plan, k)) * plan.batchSize;
  return {
    seed: options.seed,
    runsDone,
    elapsedMs: Date.now() - started,
    stopped,
    coverage,
    resumeRun,
    ...(found ? { failure: found } : {}),
    ...(found && cut ? { cut } : {}),
  };
}

/** Whether a failing case is preferred to the best so far (which comes from an earlier batch): strictly fewer operations. */
export function shorter(candidate: Failure, best: Failure): boolean {
  return candidate.operations.length < best.operations.length;
}

/**
 * Finishes fast-check's shrinking: drops the operations after the violation (never reached) and then any
 * single operation whose removal still leaves a violation, until none can go. The result is 1-minimal.
 */
export function minimize(operations: readonly Operation[], fails: (ops: readonly Operation[]) => Violation | undefined): Operation[] {
  const first = fails(operations);
  if (first === undefined) return [...operations];
  let current = operations.slice(0, first.step + 1);
  for (let i = 0; i < current.length; ) {
    const without = [...current.slice(0, i), ...current.slice(i + 1)];
    const violation = fails(without);
    if (violation !== undefined) {
      current = without.slice(0, violation.step + 1);
      i = 0; // a removal can make an earlier operation removable (a Map that only a later Return refused)
    } else i++;
  }
  return current;
}
