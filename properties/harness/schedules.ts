// Generators of schedules: operation lists in which several threads run concurrent operations (start<Op> on a
// thread, then step(thread) for each of its atomic steps; see model/common/scheduler.ts) interleaved in a random
// order. The interleaving is drawn as a list of choices ("run the k-th thread that still has steps"), so
// fast-check shrinks it toward choice 0 everywhere: the threads one after another, the least interleaved
// schedule. What the search then saves is the explicit operation list: the schedule itself.

import fc from 'fast-check';
import type { Operation } from '../../model/common/values.js';

/** One thread's part of a schedule: the call that starts its task, then up to `steps` steps. */
export interface ThreadProgram {
  readonly thread: number;
  readonly start: Operation;
  /** Steps to schedule; steps after the task has returned are skipped by their precondition, so over-provisioning is harmless. */
  readonly steps: number;
}

/** `step(thread)`. */
export function stepOp(thread: number): Operation {
  return { op: 'step', args: { thread } };
}

/** Merges the programs in the order the choices give (each program keeps its own order). Exported for tests. */
export function merge(programs: readonly ThreadProgram[], choices: readonly number[], atomic: readonly { at: number; op: Operation }[] = []): Operation[] {
  const queues = programs.map((p) => [p.start, ...Array.from({ length: p.steps }, () => stepOp(p.thread))]);
  const out: Operation[] = [];
  let c = 0;
  for (;;) {
    const alive = queues.filter((q) => q.length > 0);
    if (alive.length === 0) break;
    const pick = c < choices.length ? (choices[c++] as number) : 0;
    out.push((alive[pick % alive.length] as Operation[]).shift() as Operation);
  }
  // Atomic operations go in at their positions, latest first so earlier positions stay meaningful.
  for (const { at, op } of [...atomic].sort((x, y) => y.at - x.at)) out.splice(Math.min(at, out.length), 0, op);
  return out;
}

/** A thread's call before it is given a thread: the start operation (without `thread`) and its step budget. */
export interface Call {
  readonly start: Operation;
  readonly steps: number;
}

/** Between `min` and `max` calls, put on threads 0, 1, ... in order (shrinks toward fewer threads). */
export function onThreads(call: fc.Arbitrary<Call>, min = 2, max = 3): fc.Arbitrary<ThreadProgram[]> {
  return fc
    .array(call, { minLength: min, maxLength: max })
    .map((calls) => calls.map((c, thread) => ({ thread, steps: c.steps, start: { op: c.start.op, args: { thread, ...c.start.args } } })));
}

/**
 * A random interleaving of the programs, with up to `maxAtomic` atomic operations placed at random points of
 * it. `maxEvents` bounds the scheduling choices drawn (events past it run in thread order).
 */
export function interleaved(
  programs: fc.Arbitrary<ThreadProgram[]>,
  atomic: fc.Arbitrary<Operation> | undefined = undefined,
  { maxEvents = 24, maxAtomic = 3 }: { maxEvents?: number; maxAtomic?: number } = {},
): fc.Arbitrary<Operation[]> {
  const placed = atomic === undefined ? fc.constant([]) : fc.array(fc.record({ at: fc.nat(maxEvents), op: atomic }), { maxLength: maxAtomic });
  return fc
    .record({ programs, choices: fc.array(fc.nat(5), { maxLength: maxEvents }), placed })
    .map(({ programs: ps, choices, placed: ops }) => merge(ps, choices, ops));
}
