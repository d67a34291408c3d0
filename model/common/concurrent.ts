// The frame every concurrent model shares (model/<subsystem>/concurrent.ts): the sequential state plus a task
// table (scheduler.ts), and invariants that are the sequential ones judged at quiescent points followed by the
// subsystem's concurrent ones (linearizability.ts among them).

import { ok } from './result.js';
import { isQuiescent, endedStretch, isTaskOperation, type WithTasks } from './scheduler.js';
import type { Invariant, Step } from './spec.js';


/**
 * The subsystem's sequential invariants, judged at every quiescent point. A step with no task running before
 * or after (an ordinary operation) is judged as it is. Where a stretch of tasks ends: if it held exactly one
 * operation, that operation is judged as one sequential step from the stretch's base; if it held several,
 * the end state is judged on its own (as a step that changed nothing), since before-and-after rules of a single
 * operation do not apply to several; linearizability covers those. While tasks are running nothing is judged
 * here: a task half-way through an operation is allowed to hold what a sequential state never shows.
 */
export function atQuiescentPoints<S extends WithTasks>(invariants: readonly Invariant<S>[], snapshot: (s: S) => S): Invariant<S>[] {
  // The interpreter hands every invariant the same step object: the view is made once per step.
  const views = new WeakMap<Step<S>, Step<S> | null>();
  const viewOf = (step: Step<S>): Step<S> | null => {
    let view = views.get(step);
    if (view === undefined) {
      view = quiescentView(step, snapshot) ?? null;
      views.set(step, view);
    }
    return view;
  };
  return invariants.map((inv) => ({
    name: inv.name,
    source: inv.source,
    check: (step: Step<S>) => {
      const view = viewOf(step);
      return view === null ? undefined : inv.check(view);
    },
  }));
}

/** The state without its task table: what the sequential invariants are written for. */
function withoutTasks<S extends WithTasks>(s: S): S {
  if (s.tasks === undefined) return s;
  const { tasks: _tasks, ...plain } = s;
  return plain as S;
}

function quiescentView<S extends WithTasks>(step: Step<S>, snapshot: (s: S) => S): Step<S> | undefined {
  const { before, after } = step;
  if (!isQuiescent(after)) return undefined;
  const ended = endedStretch(after);
  const plainAfter = withoutTasks(after);
  if (ended === undefined) return isQuiescent(before) && !isTaskOperation(step.op) ? { ...step, before: withoutTasks(before), after: plainAfter } : undefined;
  const only = ended.history.length === 1 ? ended.history[0] : undefined;
  if (only !== undefined) return { before: ended.base as S, after: plainAfter, op: only.call, result: only.result, faults: only.faults };
  return { before: withoutTasks(snapshot(after)), after: plainAfter, op: step.op, result: ok(), faults: [] };
}
