// Resolves what to run a case against: the specification itself or one of its named mutants (an external
// implementation is a conformance target, built by adapter.ts).
import type { Model } from '../../model/common/spec.js';
import type { AnySuite } from './suite.js';

export interface Target {
  /** `model`, `mutant:<name>` or `impl:<name>`, as saved in a counterexample. */
  readonly label: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly createModel: () => Model<any>;
  /** The suite this target runs under, when not the subsystem's own (a conformance target wraps it: adapter.ts). */
  readonly suite?: AnySuite;
}

export function modelTarget(suite: AnySuite): Target {
  return { label: 'model', createModel: () => suite.spec.createModel() };
}

export function mutantTarget(suite: AnySuite, name: string): Target | undefined {
  const mutant = suite.mutants.find((m) => m.name === name);
  return mutant === undefined ? undefined : { label: `mutant:${name}`, createModel: mutant.createModel };
}
