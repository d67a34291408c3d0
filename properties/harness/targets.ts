// Resolves what to run a case against: the specification itself or one of its named mutants.
import type { Model } from '../../model/common/spec.js';
import type { AnySuite } from './suite.js';

export interface Target {
  /** `model` or `mutant:<name>`, as saved in a counterexample. */
  readonly label: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly createModel: () => Model<any>;
}

export function modelTarget(suite: AnySuite): Target {
  return { label: 'model', createModel: () => suite.spec.createModel() };
}

export function mutantTarget(suite: AnySuite, name: string): Target | undefined {
  const mutant = suite.mutants.find((m) => m.name === name);
  return mutant === undefined ? undefined : { label: `mutant:${name}`, createModel: mutant.createModel };
}
