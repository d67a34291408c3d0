// The frame every concurrent model shares (model/<subsystem>/concurrent.ts): the sequential model's state plus a
// task table (scheduler.ts); `start<Op>` and `step` drive tasks and every other operation is one atomic step of
// the sequential model (TaskFrame); the invariants are the sequential ones judged at quiescent points followed by
// the subsystem's concurrent ones, linearizability (linearizability.ts) among them.

import type { FaultPlan } from './faults.js';
import { fail, ok, type Result } from './result.js';
import { typedOp, type ArgsOf, type IntType, type Signature } from './schema.js';
import { copyTaskTable, describeTasks, endedStretch, isQuiescent, isTaskOperation, type Scheduler, type WithTasks } from './scheduler.js';
import type { Invariant, Step } from './spec.js';
import type { Operation } from './values.js';

/** The signatures of the operations that drive tasks: each `start<Op>` and `step` names its thread. */
export type TaskSignatures = { readonly [op: string]: Signature & { readonly thread: IntType } };

/** How a concurrent model starts one kind of task: one `start<Op>` of its task signatures. */
export interface TaskStart<S, A> {
  /** What the call needs besides an idle thread (the sequential operation's own precondition); nothing when absent. */
  when?(s: S, args: A): boolean;
  /** Creates the task with Scheduler.start and runs it to its first yield. */
  start(s: S, args: A): Result;
}

/** One TaskStart for every `start<Op>` of the signatures, each given that operation's typed arguments. */
export type TaskStarts<S, Sigs extends TaskSignatures> = { readonly [K in Exclude<keyof Sigs & string, 'step'>]: TaskStart<S, ArgsOf<Sigs[K]>> };

/** A builder of `start<Op>` operations without their thread, which the schedule assigns (`onThreads` in the harness). */
export function startsOf<Sigs extends TaskSignatures>(
  _signatures: Sigs,
): <K extends Exclude<keyof Sigs & string, 'step'>>(op: K, args: Omit<ArgsOf<Sigs[K]>, 'thread'>) => Operation {
  return (op, args) => ({ op, args });
}

/**
 * The operations of a concurrent model. `start<Op>(thread, ...)` creates a task on an idle thread and runs it to
 * its first yield; `step(thread)` runs the next atomic step of a runnable task; any other operation is one atomic
 * step of the sequential model, allowed where the subsystem says so and recorded in the stretch under way.
 */
export class TaskFrame<S extends WithTasks> {
  /** Held as the common view of every task operation (its thread); `of` holds each entry to its own signature. */
  private constructor(
    private readonly scheduler: Scheduler,
    private readonly signatures: TaskSignatures,
    private readonly starts: { readonly [op: string]: TaskStart<S, ArgsOf<TaskSignatures[string]>> },
  ) {}

  /** The frame of `signatures`: `starts` has one entry for each `start<Op>`, given that operation's typed arguments. */
  static of<S extends WithTasks, Sigs extends TaskSignatures>(scheduler: Scheduler, signatures: Sigs, starts: TaskStarts<S, Sigs>): TaskFrame<S> {
    return new TaskFrame<S>(scheduler, signatures, starts);
  }

  /** Whether `op` applies: a start on an idle thread, a step of a runnable task, or what `atomic` says. */
  precondition(s: S, op: Operation, atomic: () => boolean): boolean {
    const task = typedOp(this.signatures, op);
    if (task === undefined) return atomic();
    if (task.op === 'step') return this.scheduler.runnable(s, task.args.thread);
    const start = this.starts[task.op];
    return start !== undefined && this.scheduler.idle(s, task.args.thread) && (start.when?.(s, task.args) ?? true);
  }

  /** Applies `op`: starts or steps a task, or runs `atomic` (the sequential operation) and records it. */
  apply(s: S, op: Operation, faults: FaultPlan, atomic: () => Result): Result {
    this.scheduler.begin(s);
    const task = typedOp(this.signatures, op);
    if (task === undefined) {
      const result = atomic();
      this.scheduler.atomic(s, op, result, faults.failures);
      return result;
    }
    if (task.op === 'step') return this.scheduler.step(s, task.args.thread);
    const start = this.starts[task.op];
    return start === undefined ? fail('UNKNOWN_OPERATION') : start.start(s, task.args);
  }
}

/** A snapshot with its own copy of the task table (`copy` is the sequential snapshot of `s`). */
export function withTaskTable<S extends WithTasks>(copy: S, s: WithTasks): S {
  if (s.tasks !== undefined) copy.tasks = copyTaskTable(s.tasks);
  return copy;
}

/** A state description followed, after `separator`, by the running tasks and held locks. */
export function withTasksDescribed(text: string, s: WithTasks, separator: string): string {
  const tasks = describeTasks(s);
  return text + (tasks === '' ? '' : separator + tasks);
}

/** A concurrent subsystem's invariants: the sequential ones at quiescent points, then its concurrent ones. */
export function concurrentInvariants<S extends WithTasks>(
  sequential: readonly Invariant<S>[],
  snapshot: (s: S) => S,
  concurrent: readonly Invariant<S>[],
): readonly Invariant<S>[] {
  return [...atQuiescentPoints(sequential, snapshot), ...concurrent];
}

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
