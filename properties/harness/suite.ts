// How a subsystem plugs into the suite: its specification, the properties that search it, and the seeded
// bugs that prove each invariant has teeth. Defined once here, used by vitest and the command line alike.

import type fc from 'fast-check';
import type { Model, SubsystemSpec } from '../../model/common/spec.js';
import type { Operation } from '../../model/common/values.js';

export interface PropertyDef {
  /** Unique within the subsystem. */
  readonly name: string;
  readonly description: string;
  /** Where the behaviour it searches comes from (document and section). */
  readonly source: string;
  /** Generates a whole test case: an explicit list of operations, which shrinks as a list. */
  readonly operations: fc.Arbitrary<Operation[]>;
  /** The invariants checked after every step; all of the subsystem's when omitted. */
  readonly invariants?: readonly string[];
  /** Runs per `npm test` and the default for `npm run check`. */
  readonly numRuns: number;
}

export interface MutantDef<S> {
  /** Unique within the subsystem, in camelCase, saying what the bug is. */
  readonly name: string;
  readonly description: string;
  /** The property whose generator finds it. */
  readonly property: string;
  /** The invariant this mutant proves has teeth: it must be violated by the mutant. */
  readonly breaks: string;
  /** Length of the shortest operation list that exposes the bug, for comparison with what shrinking reaches. */
  readonly minimalLength: number;
  /** The specification with exactly one operation overridden. */
  readonly createModel: () => Model<S>;
}

export interface SubsystemSuite<S> {
  readonly spec: SubsystemSpec<S>;
  readonly properties: readonly PropertyDef[];
  readonly mutants: readonly MutantDef<S>[];
}

// Suites differ in their state type; the harness treats them uniformly.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnySuite = SubsystemSuite<any>;
