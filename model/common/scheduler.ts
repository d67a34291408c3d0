// Concurrency as data. A concurrent operation is a TASK running on a numbered thread (T0, T1, ...): a generator
// whose code between two `yield`s is one ATOMIC STEP. A task yields where the kernel code can lose the CPU to
// another thread: before taking a lock (the lock is taken when the task is next scheduled), and at every await
// point (a tracker wait, a TLB shoot-down, a sleep). Which thread runs when is chosen by the operation list
// itself, so a test case IS its schedule:
//
//   start<Op>(thread, args...)   thread `thread` calls the operation and runs it up to its first yield
//   step(thread)                 the task on `thread` runs its next atomic step (skipped while it needs a lock
//                                another thread holds, or when the thread is idle)
//
// and every ordinary (sequential) operation of the subsystem is an atomic step of its own, allowed between task
// steps when the subsystem says so. Shrinking a schedule is shrinking a list, and a saved case replays it
// exactly, without fast-check.
//
// The state records, besides the subsystem's own fields, the running tasks (what each holds, where it waits),
// the locks, and the HISTORY of the operations since the last QUIESCENT point (no task running): when each was
// called, when it returned, what it returned. At a quiescent point the whole stretch is judged: the subsystem's
// sequential invariants hold (concurrent.ts) and the concurrent history is LINEARIZABLE (linearizability.ts).

import { FaultPlan, type FaultRecord } from './faults.js';
import { formatResult, ok, type Result } from './result.js';
import { int } from './schema.js';
import { formatArgs, formatValue, type Operation, type Value } from './values.js';

/** Threads a case may use: T0 .. T(MAX_THREADS - 1). */
export const MAX_THREADS = 4;

/** The argument naming a thread in `start<Op>` and `step`. */
export const threadArg = () => int(0, MAX_THREADS - 1);

/** The scheduling operation every concurrent subsystem has. */
export const stepSignature = { step: { thread: threadArg() } } as const;

/** Where a suspended task stands. */
export interface Suspension {
  /** The code it runs when next scheduled, in the kernel's terms ('mutex_lock(pool)', 'uvm_tracker_wait'). */
  readonly at: string;
  /** A lock it takes first: the task is runnable only while nobody holds it, and holds it once resumed. */
  readonly lock?: string;
  /** A condition it is waiting for that another thread or domain must make true (a blocking wait). */
  readonly waitsFor?: string;
}

/** A task's code: yields at every point where another thread may run; returns the operation's result. */
export type TaskBody = Generator<Suspension, Result, void>;

/** A running task as the state shows it. */
export interface TaskView {
  readonly thread: number;
  /** The operation it performs, in the form its sequential counterpart is called. */
  readonly call: Operation;
  /** The event (see TaskTable.clock) at which it was called. */
  readonly calledAt: number;
  /** Where it is suspended: the code it runs next. */
  at: string;
  lock?: string;
  waitsFor?: string;
  /** What the task holds locally, by name (a buffer taken off a list, the domains a revoke removed). */
  locals: { [name: string]: Value };
}

/** An operation of the current stretch that has returned (a task, or an atomic operation: thread null). */
export interface Completed {
  readonly thread: number | null;
  readonly call: Operation;
  readonly calledAt: number;
  readonly returnedAt: number;
  readonly result: Result;
  readonly faults: readonly FaultRecord[];
  /** The task's locals when it returned (what a reference run needs, such as the buffer a free was given). */
  readonly locals: { readonly [name: string]: Value };
}

/** The operations between two quiescent points, and the state at the first one. */
export interface Stretch {
  /** The subsystem's state (without tasks) when the first task of the stretch was called. Never mutated. */
  readonly base: unknown;
  readonly history: Completed[];
}

/** What the last operation did on which thread: what invariants about single steps look at. */
export interface LastStep {
  readonly thread: number;
  /** The code it ran. */
  readonly ran: string;
  /** The task returned in this step (its record), or is still running. */
  readonly returned?: Completed;
}

export interface TaskTable {
  /** Running tasks, in thread order. */
  running: TaskView[];
  /** Held locks: lock name -> holding thread. */
  locks: { [lock: string]: number };
  /** Events so far (calls, steps, atomic operations during a stretch): the time of the history. */
  clock: number;
  /** The stretch under way (tasks are running), or null at a quiescent point. */
  stretch: Stretch | null;
  /** The stretch the LAST operation ended (it made the state quiescent), for the invariants; else null. */
  ended: Stretch | null;
  last: LastStep | null;
}

/** A subsystem state that may run tasks. `tasks` is absent in a purely sequential run. */
export interface WithTasks {
  tasks?: TaskTable;
}

export function emptyTaskTable(): TaskTable {
  return { running: [], locks: {}, clock: 0, stretch: null, ended: null, last: null };
}

/** An independent copy (the stretch's base and the completed records are never mutated, so they are shared). */
export function copyTaskTable(t: TaskTable): TaskTable {
  return {
    running: t.running.map((v) => ({ ...v, locals: structuredClone(v.locals) })),
    locks: { ...t.locks },
    clock: t.clock,
    stretch: t.stretch === null ? null : { base: t.stretch.base, history: [...t.stretch.history] },
    ended: t.ended,
    last: t.last,
  };
}

export function isQuiescent(s: WithTasks): boolean {
  return s.tasks === undefined || s.tasks.running.length === 0;
}

export function taskOn(s: WithTasks, thread: number): TaskView | undefined {
  return s.tasks?.running.find((t) => t.thread === thread);
}

export function threadName(thread: number): string {
  return `T${thread}`;
}

/** The operation a task performs, as text: `alloc(outTracker=false faults=[])`. */
export function callText(call: Operation): string {
  return `${call.op}(${formatArgs(call.args)})`;
}

/** The running tasks and held locks, for a state description: `T0 alloc@uvm_tracker_wait{buffer=1}`. */
export function describeTasks(s: WithTasks): string {
  const t = s.tasks;
  if (t === undefined || (t.running.length === 0 && Object.keys(t.locks).length === 0)) return '';
  const tasks = t.running.map((v) => {
    const locals = Object.entries(v.locals).map(([k, x]) => `${k}=${formatValue(x)}`);
    return `${threadName(v.thread)} ${v.call.op}@${v.at}${v.waitsFor !== undefined ? ` (waits for ${v.waitsFor})` : ''}${locals.length > 0 ? `{${locals.join(' ')}}` : ''}`;
  });
  const locks = Object.entries(t.locks).map(([name, holder]) => `${name} held by ${threadName(holder)}`);
  return [...tasks, ...locks].join('; ');
}

/** The suspension for "take `lock` next": the task runs again only when the lock is free, and then holds it. */
export function lockNext(lock: string, at = `mutex_lock(${lock})`): Suspension {
  return { at, lock };
}

/**
 * Runs the tasks of one model instance. The generators live here (a model instance runs one case at a time;
 * `reset()` is called from `initialState()`); everything an invariant or a trace needs is in the state.
 */
export class Scheduler {
  private readonly bodies = new Map<number, { body: TaskBody; faults: FaultPlan }>();

  /** `snapshot` copies the subsystem's own state (without tasks): the base of a stretch. */
  constructor(private readonly snapshot: (s: never) => unknown) {}

  /** Forgets every task: called when a new case starts (from the model's initialState). */
  reset(): void {
    this.bodies.clear();
  }

  private table(s: WithTasks): TaskTable {
    if (s.tasks === undefined) s.tasks = emptyTaskTable();
    return s.tasks;
  }

  idle(s: WithTasks, thread: number): boolean {
    return taskOn(s, thread) === undefined;
  }

  /** The task on `thread` exists and can run now (the lock it needs, if any, is free). */
  runnable(s: WithTasks, thread: number): boolean {
    const task = taskOn(s, thread);
    if (task === undefined) return false;
    return task.lock === undefined || s.tasks?.locks[task.lock] === undefined;
  }

  /** Some task holds a lock across a suspension. */
  anyLockHeld(s: WithTasks): boolean {
    return s.tasks !== undefined && Object.keys(s.tasks.locks).length > 0;
  }

  /** Every operation starts here: the previous operation's quiescent-point record is dropped. */
  begin(s: WithTasks): void {
    if (s.tasks === undefined) return;
    s.tasks.ended = null;
    s.tasks.last = null;
  }

  /**
   * Thread `thread` calls `call`: the task is created and runs up to its first yield. At a quiescent point
   * this opens a new stretch whose base is the state now. `handOver` runs first, once the stretch is open: what
   * the caller gives the task (a buffer it frees), returned as the task's first locals.
   */
  start(
    s: WithTasks,
    thread: number,
    call: Operation,
    body: (task: TaskView, faults: FaultPlan) => TaskBody,
    handOver: () => { [name: string]: Value } = () => ({}),
  ): Result {
    const t = this.table(s);
    if (t.stretch === null) t.stretch = { base: this.snapshot(s as never), history: [] };
    const locals = handOver();
    const now = t.clock++;
    const task: TaskView = { thread, call, calledAt: now, at: '(called)', locals };
    t.running.push(task);
    t.running.sort((a, b) => a.thread - b.thread);
    const faults = new FaultPlan((call.args['faults'] as readonly number[] | undefined) ?? []);
    this.bodies.set(thread, { body: body(task, faults), faults });
    const outcome = this.resume(s, task, now);
    return ok({ thread, called: callText(call), ...outcome });
  }

  /** The task on `thread` runs its next atomic step (taking the lock it waits for first). */
  step(s: WithTasks, thread: number): Result {
    const task = taskOn(s, thread) as TaskView;
    const t = this.table(s);
    if (task.lock !== undefined) t.locks[task.lock] = thread;
    const ran = task.at;
    const outcome = this.resume(s, task, t.clock++);
    return ok({ thread, ran, ...outcome });
  }

  /** Runs the task to its next yield or its return; `now` is the time of this event. */
  private resume(s: WithTasks, task: TaskView, now: number): { next: string } | { returned: string } {
    const t = this.table(s);
    const entry = this.bodies.get(task.thread);
    if (entry === undefined) throw new Error(`no task body for ${threadName(task.thread)}`);
    const ran = task.at;
    const r = entry.body.next();
    if (!r.done) {
      task.at = r.value.at;
      if (r.value.lock !== undefined) task.lock = r.value.lock;
      else delete task.lock;
      if (r.value.waitsFor !== undefined) task.waitsFor = r.value.waitsFor;
      else delete task.waitsFor;
      t.last = { thread: task.thread, ran };
      return { next: task.at };
    }
    this.bodies.delete(task.thread);
    t.running = t.running.filter((v) => v !== task);
    const done: Completed = {
      thread: task.thread,
      call: task.call,
      calledAt: task.calledAt,
      returnedAt: now,
      result: r.value,
      faults: [...entry.faults.failures],
      locals: structuredClone(task.locals),
    };
    t.last = { thread: task.thread, ran, returned: done };
    this.complete(t, done);
    return { returned: `${task.call.op} returned ${formatResult(r.value)}` };
  }

  private complete(t: TaskTable, done: Completed): void {
    const stretch = t.stretch;
    if (stretch === null) return;
    stretch.history.push(done);
    if (t.running.length === 0) {
      t.ended = stretch;
      t.stretch = null;
    }
  }

  /** Records an atomic (sequential) operation applied while tasks are running. */
  atomic(s: WithTasks, call: Operation, result: Result, faults: readonly FaultRecord[]): void {
    const t = s.tasks;
    if (t === undefined || t.stretch === null) return;
    const at = t.clock++;
    t.stretch.history.push({ thread: null, call, calledAt: at, returnedAt: at, result, faults: [...faults], locals: {} });
  }

  /** Releases a lock the current task holds. */
  unlock(s: WithTasks, lock: string): void {
    const t = this.table(s);
    delete t.locks[lock];
  }
}

/** True when this step ended a stretch in which tasks ran: a quiescent point after concurrency. */
export function endedStretch(s: WithTasks): Stretch | undefined {
  return s.tasks?.ended ?? undefined;
}

/** `start<Op>` and `step`: the operations that drive tasks. */
export function isTaskOperation(op: Operation): boolean {
  return op.op === 'step' || /^start[A-Z]/.test(op.op);
}

/** Whether two operations of the stretch overlapped in time (neither returned before the other was called). */
export function overlapping(stretch: Stretch): boolean {
  const h = stretch.history;
  return h.some((a, i) => h.some((b, j) => j > i && a.calledAt < b.returnedAt && b.calledAt < a.returnedAt));
}
