// How a subsystem plugs into the suite: its specification, the properties that search it, and the seeded
// bugs that prove each invariant has teeth. Defined once here, used by vitest and the command line alike.

import type fc from 'fast-check';
import type { Invariant, Model, Step, SubsystemSpec } from '../../model/common/spec.js';
import type { Operation } from '../../model/common/values.js';

/**
 * A kind of case that matters for a property (an error path, a boundary, an interleaving). A generated case
 * carries the label when at least one of its steps, run on the specification, satisfies `test`. `npm run check`
 * prints how often each label occurred; the tests require at least `minShare` of the generated cases to carry it.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export interface CaseLabel<S = any> {
  /** Unique within the property. */
  readonly name: string;
  readonly description: string;
  /** The least share (0 to 1) of the property's generated cases that must carry the label. */
  readonly minShare: number;
  /** Whether this executed step (operation, result, injected faults, state before and after) is such a case. */
  readonly test: (step: Step<S>) => boolean;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export interface PropertyDef<S = any> {
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
  /** Cases that must occur often enough in what `operations` generates (optional). */
  readonly labels?: readonly CaseLabel<S>[];
}

/**
 * The invariants a run of `property` checks: those named in `names` (a search restricted with --invariants), else
 * the property's own set, else every invariant of the subsystem; in the subsystem's order.
 */
export function selectInvariants(suite: AnySuite, property: PropertyDef, names?: readonly string[]): Invariant<unknown>[] {
  const wanted = names ?? property.invariants;
  const all = suite.spec.invariants as readonly Invariant<unknown>[];
  return wanted === undefined ? [...all] : all.filter((i) => wanted.includes(i.name));
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
  /** The specification with exactly one operation overridden, of the given version (the default when omitted). */
  readonly createModel: (version?: string) => Model<S>;
  /** The specification versions whose model this bug is seeded into and must be caught on; the default version alone when omitted. */
  readonly versions?: readonly string[];
}

/**
 * The seeded bugs one property must catch, declared in a line each:
 * `const mutant = mutantOf<S>('property'); mutant(name, breaks, minimalLength, description, ModelSubclass)`.
 */
export function mutantOf<S>(property: string) {
  return (name: string, breaks: string, minimalLength: number, description: string, Model: new (version?: string) => Model<S>, versions?: readonly string[]): MutantDef<S> => ({
    name,
    property,
    breaks,
    minimalLength,
    description,
    createModel: (version?: string) => new Model(version),
    ...(versions === undefined ? {} : { versions }),
  });
}

export interface SubsystemSuite<S> {
  readonly spec: SubsystemSpec<S>;
  readonly properties: readonly PropertyDef<S>[];
  readonly mutants: readonly MutantDef<S>[];
}

// Suites differ in their state type; the harness treats them uniformly.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnySuite = SubsystemSuite<any>;
