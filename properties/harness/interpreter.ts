// The one interpreter: applies an explicit list of operations to a model (the specification, a mutant, or an
// adapter around an external implementation) and checks invariants after every step. Search, replay, the
// mutant checks and conformance all run through here.

import { FaultPlan, NO_FAULTS, type FaultRecord } from '../../model/common/faults.js';
import type { Result } from '../../model/common/result.js';
import type { Invariant, Model, SubsystemSpec } from '../../model/common/spec.js';
import type { Operation } from '../../model/common/values.js';

export interface Violation {
  /** 0-based index of the operation after which it was detected. */
  readonly step: number;
  readonly invariant: string;
  readonly source: string;
  readonly message: string;
}

export interface StepRecord {
  readonly index: number;
  readonly op: Operation;
  /** The precondition did not hold: the operation was not applied (as fast-check's `check`). */
  readonly skipped: boolean;
  readonly result?: Result;
  readonly faults: readonly FaultRecord[];
  /** The subsystem's description of the state after the step (only when tracing). */
  readonly state?: string;
}

export interface Execution<S = unknown> {
  readonly steps: StepRecord[];
  readonly violation?: Violation;
  /** The model's state when the run ended: after the last operation, or after the step that broke an invariant or threw. */
  readonly state: S;
}

/** Counts what a run exercised: operations, results and injected faults, under keys such as `alloc: -ENOMEM`. */
export class Coverage {
  readonly counts = new Map<string, number>();
  bump(key: string): void {
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }
  /** Counts `${what}: ${how}`; the key is built once per pair, not once per step (a search's hottest loop). */
  bumpPair(what: string, how: string): void {
    let keys = pairKeys.get(what);
    if (keys === undefined) pairKeys.set(what, (keys = new Map()));
    let key = keys.get(how);
    if (key === undefined) keys.set(how, (key = `${what}: ${how}`));
    this.bump(key);
  }
}

const pairKeys = new Map<string, Map<string, string>>();

export interface ExecuteOptions<S> {
  /** Which invariants to check; all of the subsystem's by default. */
  readonly invariants?: readonly Invariant<S>[];
  /** Record the state description after each step, for a trace. */
  readonly trace?: boolean;
  readonly coverage?: Coverage;
}

export const MODEL_THREW = 'modelDoesNotThrow';

export function execute<S>(
  spec: SubsystemSpec<S>,
  model: Model<S>,
  operations: readonly Operation[],
  options: ExecuteOptions<S> = {},
): Execution<S> {
  const invariants = options.invariants ?? spec.invariants;
  const steps: StepRecord[] = [];
  const state = model.initialState();
  for (let index = 0; index < operations.length; index++) {
    const op = operations[index] as Operation;
    if (!model.precondition(state, op)) {
      steps.push({ index, op, skipped: true, faults: [] });
      options.coverage?.bumpPair(op.op, 'skipped');
      continue;
    }
    const before = spec.snapshot(state);
    const faults = new FaultPlan((op.args['faults'] as readonly number[] | undefined) ?? NO_FAULTS);
    let result: Result;
    try {
      result = model.apply(state, op, faults);
    } catch (error) {
      steps.push({ index, op, skipped: false, faults: faults.failures });
      const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      return { steps, state, violation: { step: index, invariant: MODEL_THREW, source: 'ARCHITECTURE: a refused request is a result', message } };
    }
    steps.push(options.trace ? { index, op, skipped: false, result, faults: faults.failures, state: spec.describe(state) } : { index, op, skipped: false, result, faults: faults.failures });
    if (options.coverage) {
      options.coverage.bumpPair(op.op, result.ok ? 'OK' : result.error);
      for (const f of faults.failures) options.coverage.bumpPair('fault', f.site);
    }
    const view = { before, after: state, op, result, faults: faults.failures };
    for (const invariant of invariants) {
      const message = invariant.check(view);
      if (message !== undefined) {
        return { steps, state, violation: { step: index, invariant: invariant.name, source: invariant.source, message } };
      }
    }
  }
  return { steps, state };
}
