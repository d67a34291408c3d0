// The search: fast-check generates operation lists for one property, the interpreter runs each against the
// target, and the first violation is shrunk to a minimal list. Runs are split into batches whose seeds are
// derived from the main seed, so a long search shows progress, can stop cleanly between batches, and the
// same seed and run count always give the same result.

import fc from 'fast-check';
import type { Invariant } from '../../model/common/spec.js';
import type { Operation } from '../../model/common/values.js';
import { Coverage, execute, type Violation } from './interpreter.js';
import type { AnySuite, PropertyDef } from './suite.js';
import type { Target } from './targets.js';

export interface SearchOptions {
  readonly seed: number;
  /** Total runs; with `timeLimitMs`, the search also stops when time is up. */
  readonly runs: number;
  readonly timeLimitMs?: number;
  /** Restrict the invariants checked (by name); the property's own set otherwise. */
  readonly invariants?: readonly string[];
  readonly batchSize?: number;
  /** Index of the first run (a multiple of the batch size), to resume an interrupted search. */
  readonly startRun?: number;
  readonly onBatch?: (progress: { runsDone: number; elapsedMs: number }) => void;
  /** Polled between batches; true stops the search cleanly. */
  readonly shouldStop?: () => boolean;
}

export interface Failure {
  readonly operations: Operation[];
  readonly violation: Violation;
  /** The fast-check seed of the batch that found it, and the path of the shrunk case in it. */
  readonly seed: number;
  readonly path: string;
  /** Runs, counted from the start of the search, up to and including the failing one. */
  readonly runs: number;
  readonly shrinks: number;
}

export interface SearchOutcome {
  readonly seed: number;
  readonly runsDone: number;
  readonly elapsedMs: number;
  readonly failure?: Failure;
  readonly stopped: 'budget' | 'time' | 'interrupted' | 'failure';
  readonly coverage: Coverage;
}

export const DEFAULT_BATCH = 100;

/** A 32-bit seed for batch `index` of a search, derived deterministically from the main seed. */
export function batchSeed(seed: number, index: number): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  h = Math.imul(h ^ (index + 0x7f4a7c15), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) | 0;
}

export function selectInvariants(suite: AnySuite, property: PropertyDef, names?: readonly string[]): Invariant<unknown>[] {
  const wanted = names ?? property.invariants;
  const all = suite.spec.invariants as readonly Invariant<unknown>[];
  return wanted === undefined ? [...all] : all.filter((i) => wanted.includes(i.name));
}

/** Runs one property against one target. Synchronous per batch; yields to the event loop between batches. */
export async function search(suite: AnySuite, property: PropertyDef, target: Target, options: SearchOptions): Promise<SearchOutcome> {
  const invariants = selectInvariants(suite, property, options.invariants);
  const batchSize = options.batchSize ?? DEFAULT_BATCH;
  const coverage = new Coverage();
  const started = Date.now();
  const startRun = options.startRun ?? 0;
  let runsDone = startRun;
  let found: Failure | undefined;
  const predicate = fc.property(property.operations, (operations) => {
    const run = execute(suite.spec, target.createModel(), operations, { invariants, coverage });
    return run.violation === undefined;
  });
  let stopped: SearchOutcome['stopped'] = 'budget';
  while (runsDone < options.runs) {
    if (options.shouldStop?.()) {
      stopped = 'interrupted';
      break;
    }
    if (options.timeLimitMs !== undefined && Date.now() - started >= options.timeLimitMs) {
      stopped = 'time';
      break;
    }
    const index = Math.floor(runsDone / batchSize);
    const seed = batchSeed(options.seed, index);
    const numRuns = Math.min(batchSize, options.runs - runsDone);
    const details = fc.check(predicate, { seed, numRuns });
    if (details.failed && details.counterexample !== null) {
      const fails = (ops: readonly Operation[]) => execute(suite.spec, target.createModel(), ops, { invariants }).violation;
      const operations = minimize(details.counterexample[0], fails);
      const replayed = execute(suite.spec, target.createModel(), operations, { invariants });
      if (replayed.violation === undefined) throw new Error(`the shrunk case of ${property.name} did not fail again: the target is not deterministic`);
      found = {
        operations,
        violation: replayed.violation,
        seed,
        path: details.counterexamplePath ?? '',
        runs: runsDone + details.numRuns,
        shrinks: details.numShrinks,
      };
      runsDone += details.numRuns;
      stopped = 'failure';
      break;
    }
    if (details.failed) throw details.errorInstance ?? new Error(`property ${property.name} failed without a counterexample`);
    runsDone += numRuns;
    options.onBatch?.({ runsDone, elapsedMs: Date.now() - started });
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return { seed: options.seed, runsDone, elapsedMs: Date.now() - started, stopped, coverage, ...(found ? { failure: found } : {}) };
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
    if (violation !== undefined) current = without.slice(0, violation.step + 1);
    else i++;
  }
  return current;
}
