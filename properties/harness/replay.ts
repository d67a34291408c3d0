// Replays a saved case: the explicit operation list, run by the interpreter against a chosen target.
import { execute, type Execution } from './interpreter.js';
import { findSuite } from './registry.js';
import type { Counterexample } from './store.js';
import { selectInvariants } from './suite.js';
import { resolveTarget, type Target } from './targets.js';

export interface Replay {
  readonly target: Target;
  readonly run: Execution;
}

/**
 * Runs the case against `targetLabel` (`model` or `mutant:<name>` of the case's specification version, or a
 * Target such as a conformance target),
 * checking the invariants of its property (or only `invariants`, by name, as the search that found it may
 * have). Throws when the subsystem or mutant is unknown.
 */
export function replay(ce: Counterexample, targetLabel: string | Target, trace = true, invariants?: readonly string[]): Replay {
  const suite = findSuite(ce.subsystem);
  if (suite === undefined) throw new Error(`unknown subsystem ${ce.subsystem}`);
  const property = suite.properties.find((p) => p.name === ce.property);
  if (property === undefined) throw new Error(`unknown property ${ce.property}`);
  const target = typeof targetLabel === 'string' ? resolveTarget(suite, targetLabel, ce.specVersion) : targetLabel;
  if (target === undefined) {
    const names = suite.mutants.map((m) => m.name).join(', ');
    throw new Error(`unknown target "${String(targetLabel)}" for ${ce.subsystem} (model, mutant:<name> with name one of ${names}, or an implementation given with --impl)`);
  }
  const runSuite = target.suite ?? suite;
  const runProperty = runSuite.properties.find((p) => p.name === ce.property) ?? property;
  const run = execute(runSuite.spec, target.createModel(), ce.operations, { invariants: selectInvariants(runSuite, runProperty, invariants), trace });
  return { target, run };
}
