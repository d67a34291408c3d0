// The saved counterexamples as the report shows them: each case replayed (as `npm run replay` does) on what it
// was found on, giving per step the operation, its arguments, the faults injected, the result and the state after
// it, the invariant that failed and its source, and for schedules the timeline by thread. A case found on an
// implementation (`impl:…`) is replayed on the specification, which the report says: the implementation is not
// run to make a report.

import { formatArgs } from '../../model/common/values.js';
import type { Violation } from '../harness/interpreter.js';
import { suites } from '../harness/registry.js';
import { replay } from '../harness/replay.js';
import { encodeJson } from '../harness/state-codec.js';
import { CounterexampleError, listCaseFiles, load, type Counterexample } from '../harness/store.js';
import { MODEL_LABEL, parseTargetLabel } from '../harness/target-label.js';
import { timelineOf, type Timeline } from '../harness/timeline.js';
import { formatResult } from '../harness/trace.js';

export interface CaseStep {
  readonly index: number;
  readonly op: string;
  readonly args: string;
  /** The fallible steps made to fail, by site. */
  readonly faults: readonly string[];
  /** The precondition did not hold: not applied. */
  readonly skipped: boolean;
  /** `OK 0`, `-ENOMEM`, …; undefined when the operation threw. */
  readonly result: string | undefined;
  /** The subsystem's description of the state after the step. */
  readonly state: string | undefined;
}

export interface CaseReport {
  readonly file: string;
  readonly counterexample: Counterexample;
  /** The target the steps below ran on (`model` or `mutant:<name>`). */
  readonly replayedOn: string;
  /** Why it was not replayed on the target it was found on, if it was not. */
  readonly note: string | undefined;
  /** The steps that ran, up to and including the one after which an invariant failed. */
  readonly steps: readonly CaseStep[];
  /** The violation the replay reproduced, if any. */
  readonly violation: Violation | undefined;
  readonly timeline: Timeline | undefined;
  /** The whole state of the model when the replay ended (after the failing step), as JSON. */
  readonly finalState: string;
}

export interface UnreadableCase {
  readonly file: string;
  readonly error: string;
}

export interface Cases {
  readonly cases: readonly CaseReport[];
  readonly unreadable: readonly UnreadableCase[];
}

function replayCase(file: string, ce: Counterexample): CaseReport {
  let on = ce.target;
  let note: string | undefined;
  const target = parseTargetLabel(ce.target);
  if (target?.kind === 'impl') {
    on = MODEL_LABEL;
    note = `found on the implementation ${target.name}; the steps are the specification's (the implementation is not run for the report), the saved violation is the implementation's`;
  }
  let outcome;
  try {
    outcome = replay(ce, on, true);
  } catch (error) {
    // A seeded bug renamed or removed since the case was saved: the specification's steps are still worth showing.
    note = `cannot replay on ${on} (${(error as Error).message}); the steps are the specification's`;
    on = MODEL_LABEL;
    outcome = replay(ce, on, true);
  }
  const steps = outcome.run.steps.map(
    (s): CaseStep => ({
      index: s.index,
      op: s.op.op,
      args: formatArgs(s.op.args),
      faults: s.faults.map((f) => `#${f.index} ${f.site}`),
      skipped: s.skipped,
      result: s.result === undefined ? undefined : formatResult(s.result),
      state: s.state,
    }),
  );
  const finalState = JSON.stringify(encodeJson(outcome.run.state), null, 2) ?? '';
  return { file, counterexample: ce, replayedOn: on, note, steps, violation: outcome.run.violation, timeline: timelineOf(outcome.run), finalState };
}

/** Every case under `paths` (files or directories), replayed; files that cannot be loaded are listed with the reason. */
export function readCases(paths: readonly string[]): Cases {
  const cases: CaseReport[] = [];
  const unreadable: UnreadableCase[] = [];
  for (const file of listCaseFiles(paths)) {
    let ce: Counterexample;
    try {
      ce = load(file, suites);
    } catch (error) {
      if (!(error instanceof CounterexampleError)) throw error;
      unreadable.push({ file, error: error.message });
      continue;
    }
    cases.push(replayCase(file, ce));
  }
  return { cases, unreadable };
}
