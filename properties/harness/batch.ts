// Batches: the unit of every search. Runs are grouped into batches of `batchSize`, numbered 0, 1, 2, ... Batch i
// runs with its own fast-check seed, derived from the main seed and i alone, and holds the runs
// i*batchSize .. (i+1)*batchSize-1 of the budget; its outcome depends on nothing but (seed, i). A plan says which
// batches a search runs (its budget, where it starts, its shard), in which order; BatchRunner runs one batch,
// shrinking its first failing case to a 1-minimal one.

import fc from 'fast-check';
import type { Invariant } from '../../model/common/spec.js';
import type { Operation } from '../../model/common/values.js';
import { Coverage, execute, type Violation } from './interpreter.js';
import { type AnySuite, type PropertyDef, selectInvariants } from './suite.js';
import type { Target } from './targets.js';

export const DEFAULT_BATCH = 100;

/** Machine `index` (0-based) of `count` takes the batches whose index is `index` modulo `count`. */
export interface Shard {
  readonly index: number;
  readonly count: number;
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

/** Which batches a search runs: the budget, the batch size, where it starts, and its shard. */
export interface BatchPlan {
  readonly runs: number;
  readonly batchSize: number;
  readonly startBatch: number;
  readonly shard: Shard;
}

export const WHOLE: Shard = { index: 0, count: 1 };

/** Where a search's batches come from: its budget (runs in all shards together), batch size, first run and shard. */
export interface PlanOptions {
  readonly runs: number;
  readonly batchSize?: number;
  /** Index of the first run (a multiple of the batch size), to resume an interrupted search. */
  readonly startRun?: number;
  readonly shard?: Shard;
}

export function planOf(options: PlanOptions): BatchPlan {
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
  /** Called once, at the batch's first failing run, before shrinking, with the length of its case. */
  readonly onFailing?: (length: number) => void;
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
        this.hooks.onFailing?.(operations.length);
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
