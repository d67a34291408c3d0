// Replays a saved case: the explicit operation list, run by the interpreter against a chosen target.
import { execute, type Execution } from './interpreter.js';
import { findSuite } from './registry.js';
import { selectInvariants } from './search.js';
import type { Counterexample } from './store.js';
import { modelTarget, mutantTarget, type Target } from './targets.js';

export interface Replay {
  readonly target: Target;
  readonly run: Execution;
}

/**
 * Runs the case against `targetLabel` (`model` or `mutant:<name>`), checking the invariants of its property.
 * Throws when the subsystem or mutant is unknown.
 */
export function replay(ce: Counterexample, targetLabel: string, trace = true): Replay {
  const suite = findSuite(ce.subsystem);
  if (suite === undefined) throw new Error(`unknown subsystem ${ce.subsystem}`);
  const property = suite.properties.find((p) => p.name === ce.property);
  if (property === undefined) throw new Error(`unknown property ${ce.property}`);
  let target: Target | undefined;
  if (targetLabel === 'model') target = modelTarget(suite);
  else if (targetLabel.startsWith('mutant:')) target = mutantTarget(suite, targetLabel.slice('mutant:'.length));
  if (target === undefined) {
    const names = suite.mutants.map((m) => m.name).join(', ');
    throw new Error(`unknown target "${targetLabel}" for ${ce.subsystem} (model, or mutant:<name> with name one of ${names})`);
  }
  const run = execute(suite.spec, target.createModel(), ce.operations, { invariants: selectInvariants(suite, property), trace });
  return { target, run };
}
