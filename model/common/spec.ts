// What every subsystem's specification provides. The interpreter in properties/harness runs any list of
// operations against any `Model` of a subsystem (the specification itself, a mutant, or an adapter around an
// external implementation) and checks the subsystem's invariants after every step.

import type { FaultPlan, FaultRecord } from './faults.js';
import type { Result } from './result.js';
import type { Signature } from './schema.js';
import type { Operation } from './values.js';

/** One executed step, as invariants see it. `before` and `after` are independent snapshots. */
export interface Step<S> {
  readonly before: S;
  readonly after: S;
  readonly op: Operation;
  readonly result: Result;
  /** The fallible steps of this operation that were made to fail (an input of the test case). */
  readonly faults: readonly FaultRecord[];
}

/**
 * A named property of every reachable step. Returns undefined when it holds and a short message when it
 * does not. `source` cites the document and the place in it the rule comes from.
 */
export interface Invariant<S> {
  readonly name: string;
  readonly source: string;
  readonly check: (step: Step<S>) => string | undefined;
}

/** The operations of a subsystem applied to its state. Mutants are subclasses that override one operation. */
export interface Model<S> {
  initialState(): S;
  /** Whether the operation applies in this state at all (as fast-check's `check`); skipped otherwise. */
  precondition(state: S, op: Operation): boolean;
  /** Performs one operation, mutating `state`, and returns what the kernel would return. */
  apply(state: S, op: Operation, faults: FaultPlan): Result;
}

/**
 * A specification is of an upstream version: where upstream changed a rule, each behaviour is a version of the
 * subsystem, selected with `--spec-version` and recorded in every saved case.
 */
export interface SpecVersion {
  /** Short, unique within the subsystem, as typed after `--spec-version` (e.g. `uvm-580`). */
  readonly name: string;
  /** The upstream releases (or commit range) whose behaviour this version specifies. */
  readonly upstream: string;
  /** The upstream releases this version was checked against, and how (read, or conformed with `npm run upstream`). */
  readonly checkedAgainst: string;
}

export interface SubsystemSpec<S> {
  readonly name: string;
  readonly title: string;
  /** The upstream versions specified; the first is the default (the current upstream behaviour). */
  readonly versions: readonly SpecVersion[];
  /** Source documents, by file name under shared/seeds. */
  readonly sources: readonly string[];
  /** Every operation and its arguments: what a saved case is checked against. */
  readonly signatures: { readonly [op: string]: Signature };
  readonly invariants: readonly Invariant<S>[];
  /** The model of one version (a name from `versions`; the default version when omitted). */
  createModel(version?: string): Model<S>;
  /** An independent copy of a state, for `Step.before`. */
  snapshot(state: S): S;
  /** The part of the state a trace shows after each step: short, in the kernel's own terms. */
  describe(state: S): string;
}
