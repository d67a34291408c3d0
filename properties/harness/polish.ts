// Which batch results a search accepts and which case it reports: written once, for the search in this thread,
// on workers, and anything that runs batches itself.
//
// Results are accepted in the search's order of batches (place 0, 1, 2, ... of its plan). The reported case is
// the shortest shrunk case among the accepted failing batches (the lowest place among equals). The polish window
// decides which batches after the first failing one are still run: `window` batches after it, and again
// `window` after each strictly shorter case (polishing goes on only while it keeps improving); a case of the
// shortest possible length ends the search at once, as nothing can improve on it. Every decision depends only
// on the results of the accepted batches, in order: the same seed and budget give the same case with any
// number of workers.

import type { Failure } from './batch.js';
import { mergeCoverage } from './batch.js';
import { Coverage } from './interpreter.js';
import type { AnySuite, PropertyDef } from './suite.js';
import { mutantOf } from './target-label.js';
import type { Target } from './targets.js';

export interface PolishRule {
  /** Batches run after the first failing one, and again after each shorter case (0: report the first failing batch's case). */
  readonly window: number;
  /** The shortest case there can be: reaching it ends the search. */
  readonly shortest: number;
}

/**
 * The shortest case a search can find: a seeded bug searched on its own property declares it (`minimalLength`,
 * the length of the shortest case known to expose it; the kill matrix reports a case shorter than declared);
 * otherwise one operation.
 */
export function shortestPossible(suite: AnySuite, property: PropertyDef, target: Target): number {
  const name = mutantOf(target.label);
  const mutant = name === undefined ? undefined : suite.mutants.find((m) => m.name === name);
  return mutant !== undefined && mutant.property === property.name ? Math.max(1, mutant.minimalLength) : 1;
}

/** Whether a failing case is preferred to the best so far (which comes from an earlier batch): strictly fewer operations. */
export function shorter(candidate: Failure, best: Failure): boolean {
  return candidate.operations.length < best.operations.length;
}

/**
 * The last place that can still be accepted once the batch at place `k` has failed with a case of `length`
 * operations (shrunk or not): no batch beyond it needs to run, whatever the batches before it hold. After k is
 * taken the window ends at most `window` past k, and each later extension needs a strictly shorter case (at most
 * length - shortest - 1 of them, each moving the end by at most `window`).
 */
export function lastPlaceAfterFailure(rule: PolishRule, k: number, length: number): number {
  return length <= rule.shortest ? k : k + rule.window * (length - rule.shortest);
}

/** What a search has accepted so far: a prefix of its places, their runs and coverage, and the case to report. */
export class Accepted {
  /** The place of the next result to accept (places 0 .. next-1 are accepted). */
  next: number;
  runsDone = 0;
  readonly coverage = new Coverage();
  failure: Failure | undefined;
  /** The last place to accept: unbounded until a batch fails. */
  private end = Infinity;

  constructor(
    readonly rule: PolishRule,
    private readonly onFailure?: (failure: Failure) => void,
    first = 0,
  ) {
    this.next = first;
  }

  /** The window is complete: no later result is accepted. */
  get done(): boolean {
    return this.next > this.end;
  }

  /** The last place that can still be accepted, whatever the results to come: batches beyond it need not run. */
  get bound(): number {
    if (this.failure === undefined || this.done) return this.end;
    return this.end + this.rule.window * Math.max(0, this.failure.operations.length - this.rule.shortest - 1);
  }

  /** Accepts the result of place `next`; returns whether the case to report changed. */
  take(result: { readonly runs: number; readonly failure?: Failure; readonly coverage: Coverage | Iterable<readonly [string, number]> }): boolean {
    if (this.done) throw new Error(`internal: a result accepted after the polish window (place ${this.next})`);
    const k = this.next++;
    mergeCoverage(this.coverage, result.coverage);
    this.runsDone += result.runs;
    const f = result.failure;
    if (f === undefined || (this.failure !== undefined && !shorter(f, this.failure))) return false;
    this.end = f.operations.length <= this.rule.shortest ? k : this.failure === undefined ? k + this.rule.window : Math.max(this.end, k + this.rule.window);
    this.failure = f;
    this.onFailure?.(f);
    return true;
  }
}
