// Replays a saved case: the explicit operation list, run by the interpreter against a chosen target.
import { execute, type Execution } from './interpreter.js';
import { findSuite } from './registry.js';
import { stderrExcerpt } from './sanitizer-report.js';
import { type Counterexample, CounterexampleError } from './store.js';
import { selectInvariants } from './suite.js';
import { mutantOf } from './target-label.js';
import { hasVersion, mutantVersions, resolveTarget, type Target, versionNames } from './targets.js';
import { formatTimeline } from './timeline.js';
import { formatTrace } from './trace.js';

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

/** The case to run on specification version `version` instead of its own (`--spec-version`); refused if unknown. */
export function onVersion(ce: Counterexample, version: string, file: string): Counterexample {
  if (version === ce.specVersion) return ce;
  const suite = findSuite(ce.subsystem);
  if (suite !== undefined && !hasVersion(suite, version))
    throw new CounterexampleError(file, '--spec-version', `unknown specification version "${version.slice(0, 80)}" of ${ce.subsystem} (known: ${versionNames(suite).join(', ')})`);
  return { ...ce, specVersion: version };
}

/**
 * What `npm run replay` prints for one case: where and how it was found, the saved violation, the trace (and, with
 * threads, the timeline), what the implementation printed on stderr when it failed, and the result.
 */
export function replayLines(file: string, ce: Counterexample, outcome: Replay, stderrDetail?: string): string[] {
  const { target, run } = outcome;
  const lines = [
    `== ${file}`,
    `   ${ce.subsystem} / ${ce.property}, found on ${ce.target} (seed ${ce.seed}, path "${ce.path}", ${ce.runs} runs), specification version ${ce.specVersion}`,
    `   saved violation: ${ce.violation.invariant} at step ${ce.violation.step}: ${ce.violation.message}`,
    `   replaying ${ce.operations.length} operations against ${target.label}:`,
  ];
  const mutant = mutantOf(target.label);
  const suite = findSuite(ce.subsystem);
  const seededInto = mutant !== undefined && suite !== undefined ? mutantVersions(suite, mutant) : undefined;
  if (seededInto !== undefined && !seededInto.includes(ce.specVersion))
    lines.push(`   note: ${mutant} is checked by npm test on ${seededInto.join(', ')}; this case is of ${ce.specVersion}`);
  lines.push(formatTrace(run));
  const timeline = formatTimeline(run); // cases with threads: the schedule, a column per thread
  if (timeline !== undefined) lines.push(timeline);
  if (run.violation?.invariant.startsWith('implementation') && stderrDetail) {
    lines.push('   what the implementation printed on stderr:');
    lines.push(stderrExcerpt(stderrDetail).split('\n').map((l) => `     | ${l}`).join('\n'));
  }
  lines.push(run.violation !== undefined ? `result: VIOLATION on ${target.label}: ${run.violation.invariant}\n` : `result: no violation on ${target.label}\n`);
  return lines;
}
