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
// called, when it returned, what it returned. At a quiescent point the invariants below judge the whole stretch:
// the subsystem's sequential invariants hold, and the concurrent history is LINEARIZABLE (the same results and
// the same end state as some sequential order of the same operations that respects real-time order).

import { FaultPlan, type FaultRecord } from './faults.js';
import { ok, statusOf, type Result } from './result.js';
import { int } from './schema.js';
import type { Invariant, Model, Step } from './spec.js';
import { formatArgs, formatValue, toJson, type Operation, type Value } from './values.js';

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

export function resultText(result: Result): string {
  return statusOf(result) + (result.ok && result.value !== undefined ? ` ${formatValue(result.value)}` : '');
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
    return { returned: `${task.call.op} returned ${resultText(r.value)}` };
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

// ------------------------------------------------------------------------------------------------------------
// Invariants over concurrent runs

/** True when this step ended a stretch in which tasks ran: a quiescent point after concurrency. */
export function endedStretch(s: WithTasks): Stretch | undefined {
  return s.tasks?.ended ?? undefined;
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

/** `start<Op>` and `step`: the operations that drive tasks. */
export function isTaskOperation(op: Operation): boolean {
  return op.op === 'step' || /^start[A-Z]/.test(op.op);
}

/** How a completed operation is re-run on the sequential specification. */
export interface Reference<S> {
  /** The sequential specification (a fresh model; only `precondition` and `apply` are used). */
  readonly model: () => Model<S>;
  readonly copy: (s: S) => S;
  /** The state as compared: the subsystem's own fields, with anything that is not the kernel's left out. */
  readonly canonical: (s: S) => string;
  /**
   * How many linearization points the operation has (default 1). An operation that the kernel itself performs
   * as two calls (an alloc whose error path frees what it took) has two, each placed in the order on its own.
   */
  readonly parts?: (done: Completed) => number;
  /** The sequential call for part `part` of the operation, in the reference state where it is placed (default: its call). */
  readonly operation?: (s: S, done: Completed, part: number) => Operation | undefined;
  /** The result part `part` must give (default: the operation's result). */
  readonly expected?: (done: Completed, part: number) => Result;
  /** A short description of a state, for the message when only the end states differ. */
  readonly describe?: (s: S) => string;
}

/** A stable text of a state for comparison: object keys sorted, Maps and Sets as sorted entries, `tasks` left out. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(normalize(value));
}

function normalize(value: unknown): unknown {
  if (typeof value === 'bigint') return '0x' + value.toString(16);
  if (value instanceof Map) return [...value.entries()].map(([k, v]) => [normalize(k), normalize(v)]).sort((a, b) => (JSON.stringify(a[0]) < JSON.stringify(b[0]) ? -1 : 1));
  if (value instanceof Set) return [...value].map(normalize).sort();
  if (Array.isArray(value)) return value.map(normalize);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) if (key !== 'tasks') out[key] = normalize((value as Record<string, unknown>)[key]);
    return out;
  }
  return value;
}

function sameResult(a: Result, b: Result): boolean {
  if (a.ok !== b.ok) return false;
  if (!a.ok || !b.ok) return statusOf(a) === statusOf(b);
  return JSON.stringify(toJson((a.value ?? null) as Value)) === JSON.stringify(toJson((b.value ?? null) as Value));
}

function label(done: Completed): string {
  const who = done.thread === null ? 'atomic' : threadName(done.thread);
  return `${who} ${callText(done.call)} -> ${resultText(done.result)}`;
}

/**
 * Linearizability, judged where a stretch with tasks ends: some order of its operations that respects real
 * time (an operation that returned before another was called comes first) gives, run one at a time on the
 * sequential specification from the stretch's base, every operation's result and the same end state.
 */
export function linearizability<S extends WithTasks>(name: string, source: string, reference: Reference<S>): Invariant<S> {
  return {
    name,
    source,
    check: ({ after }) => {
      const ended = endedStretch(after);
      if (ended === undefined || ended.history.every((h) => h.thread === null)) return undefined;
      const verdict = linearize(ended, after, reference);
      return verdict.ok ? undefined : verdict.message;
    },
  };
}

interface Verdict {
  readonly ok: boolean;
  readonly message: string;
}

/** Wing and Gong's search, with memoization on (parts placed, state reached). */
export function linearize<S>(stretch: Stretch, after: S, ref: Reference<S>): Verdict {
  const history = stretch.history;
  const parts = history.map((h) => (ref.parts ? ref.parts(h) : 1));
  const total = parts.reduce((n, k) => n + k, 0);
  const target = ref.canonical(after);
  const model = ref.model();
  const seen = new Set<string>();
  let deepest: { placed: string[]; problem: string } = { placed: [], problem: 'no operation can come first' };
  const name = (h: Completed, part: number, of: number) =>
    (h.thread === null ? h.call.op : `${threadName(h.thread)} ${h.call.op}`) + (of > 1 ? ` (part ${part + 1} of ${of})` : '');
  const search = (state: S, placed: string[], done: number[]): boolean => {
    if (placed.length === total) {
      if (ref.canonical(state) === target) return true;
      if (placed.length >= deepest.placed.length) {
        const states = ref.describe ? `: it ends in ${ref.describe(state)}, the concurrent run in ${ref.describe(after)}` : '';
        deepest = { placed, problem: `every result matches, but the end state differs${states}` };
      }
      return false;
    }
    const key = `${done.join(',')}|${ref.canonical(state)}`;
    if (seen.has(key)) return false;
    seen.add(key);
    for (let i = 0; i < history.length; i++) {
      const part = done[i] as number;
      const of = parts[i] as number;
      if (part === of) continue;
      const candidate = history[i] as Completed;
      // Real-time order: every operation that returned before this one was called is placed entirely first.
      if (part === 0 && history.some((other, j) => j !== i && (done[j] as number) < (parts[j] as number) && other.returnedAt < candidate.calledAt)) continue;
      const next = ref.copy(state);
      const op = ref.operation ? ref.operation(next, candidate, part) : candidate.call;
      let result: Result | undefined;
      if (op !== undefined && model.precondition(next, op)) {
        result = model.apply(next, op, new FaultPlan((op.args['faults'] as readonly number[] | undefined) ?? []));
      }
      const want = ref.expected ? ref.expected(candidate, part) : candidate.result;
      const here = name(candidate, part, of);
      if (result === undefined || !sameResult(result, want)) {
        const got = result === undefined ? 'cannot be applied' : `gives ${resultText(result)}, not ${resultText(want)}`;
        if (placed.length + 1 > deepest.placed.length) deepest = { placed: [...placed, here], problem: `${here} ${got}` };
        continue;
      }
      const counts = [...done];
      counts[i] = part + 1;
      if (search(next, [...placed, here], counts)) return true;
    }
    return false;
  };
  if (search(ref.copy(stretch.base as S), [], history.map(() => 0))) return { ok: true, message: '' };
  const ops = history.map(label).join('; ');
  return {
    ok: false,
    message: `no sequential order of the ${history.length} overlapping operations (${ops}) gives their results and the end state; the closest order (${deepest.placed.join(', ')}) fails: ${deepest.problem}`,
  };
}

/** Whether two operations of the stretch overlapped in time (neither returned before the other was called). */
export function overlapping(stretch: Stretch): boolean {
  const h = stretch.history;
  return h.some((a, i) => h.some((b, j) => j > i && a.calledAt < b.returnedAt && b.calledAt < a.returnedAt));
}
