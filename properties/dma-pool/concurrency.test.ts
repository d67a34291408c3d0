// Hand-written schedules of the pool under concurrency: what the specification does in the races that matter,
// the upstream behaviour that makes a failed alloc two linearization points, and the timeline of a race.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FaultPlan } from '../../model/common/faults.js';
import { canonicalJson, linearize } from '../../model/common/linearizability.js';
import { endedStretch, type TaskBody, type TaskView } from '../../model/common/scheduler.js';
import type { Result } from '../../model/common/result.js';
import type { Operation } from '../../model/common/values.js';
import { ConcurrentDmaPoolModel, dmaPoolSpec, POOL_VERSION_NAMES, snapshotPool, type BufferId, type ConcurrentPoolState } from '../../model/dma-pool/index.js';
import { poolReference } from '../../model/dma-pool/concurrent.js';
import { execute } from '../harness/interpreter.js';
import { formatTimeline } from '../harness/timeline.js';
import { seedFromEnvironment } from '../harness/seed.js';
import { AllocDropsLockAcrossExpansion } from './concurrency.js';
import { poolLifecycle } from './generators.js';

const op = (name: string, args: Operation['args'] = {}): Operation => ({ op: name, args });
const alloc = (thread: number, faults: number[] = []) => op('startAlloc', { thread, outTracker: false, faults });
const step = (thread: number) => op('step', { thread });

/** init(1) and one plain alloc: the free list is empty, b0 is held. */
const emptyList = [op('init', { count: 1, faults: [] }), op('alloc', { outTracker: false, faults: [] })];

describe('dma-pool under concurrency', () => {
  it('two allocs on an empty list: the second waits for the lock and finds the first expansion', () => {
    const ops = [...emptyList, alloc(0), alloc(1), step(0), step(1), step(1), step(0)];
    const run = execute(dmaPoolSpec, dmaPoolSpec.createModel(), ops, { trace: true });
    expect(run.violation, run.violation?.message).toBeUndefined();
    expect(run.steps.at(-1)?.state).toContain('num_dma_buffers=4');
  });

  it('a failed tracker wait lets another channel expand: linearizable as a take and a free, not as one alloc', () => {
    // b0 goes back with its caller's unfinished work; T0 takes it and sleeps in its tracker wait, which fails on the
    // global error; meanwhile T1 finds the list empty and expands.
    const pending = [...emptyList, op('free', { slot: 0, withTracker: true, otherGpus: false })];
    const ops = [...pending, alloc(0, [0]), step(0), alloc(1), step(1), step(0), step(0), step(1)];
    const model = dmaPoolSpec.createModel();
    const run = execute(dmaPoolSpec, model, ops, { trace: true });
    expect(run.violation, run.violation?.message).toBeUndefined();
    // Judge the stretch of the final state with a reference that has one point per alloc.
    const state = run.state as ConcurrentPoolState;
    const stretch = endedStretch(state);
    expect(stretch?.history.map((h) => h.result.ok)).toEqual([false, true]);
    if (stretch === undefined) return;
    expect(linearize(stretch, state, poolReference).ok).toBe(true);
    const atomicAlloc = linearize(stretch, state, { ...poolReference, parts: () => 1, expected: (done) => done.result, operation: (_s, done) => done.call });
    expect(atomicAlloc.ok).toBe(false);
  });

  it('the schedule of a race is printed as a timeline, a column per thread', () => {
    const ops = [...emptyList, alloc(0), step(0), step(0), alloc(1), step(1), step(0)];
    const run = execute(dmaPoolSpec, new AllocDropsLockAcrossExpansion(), ops, { trace: true });
    expect(run.violation?.invariant).toBe('takenBufferIsLiveAndExclusive');
    const timeline = formatTimeline(run) ?? '';
    const [, header, ...rows] = timeline.split('\n');
    expect(header).toMatch(/other\s+│ T0\s+│ T1/);
    expect(rows).toHaveLength(ops.length);
    expect(rows.at(-1)).toMatch(/✗ takenBufferIsLiveAndExclusive$/);
    expect(formatTimeline(execute(dmaPoolSpec, dmaPoolSpec.createModel(), emptyList))).toBeUndefined();
  });

  // The same kernel function run uninterrupted (the sequential operation) and as a task on one thread, with nothing
  // else running, must leave the same pool: the task form only adds the points where other channels may run.
  for (const version of POOL_VERSION_NAMES) {
    it(`free and alloc give the same pool as one call and as a task run alone (version ${version})`, () => {
      const compared = { free: 0, freeWithWork: 0, alloc: 0 };
      const outcome = fc.check(oneCallAndTaskAgree(new ConcurrentDmaPoolModel(version), compared), { seed: seedFromEnvironment(), numRuns: 80 });
      expect(outcome.failed, fc.defaultReportMessage(outcome)).toBe(false);
      // Not vacuous: most lives end with a buffer held, and half of those frees carry the caller's work.
      expect(compared.free).toBeGreaterThan(20);
      expect(compared.freeWithWork).toBeGreaterThan(7);
      expect(compared.alloc).toBeGreaterThan(20);
      // ... and it has teeth: a task form of free that forgets the caller's work on other GPUs is told apart.
      const forgetful = fc.check(oneCallAndTaskAgree(new TaskFreeForgetsOtherGpus(version), { free: 0, freeWithWork: 0, alloc: 0 }), { seed: seedFromEnvironment(), numRuns: 80 });
      expect(forgetful.failed).toBe(true);
    });
  }
});

/** The task form of free merges only the caller's work on the owner GPU (a seeded difference for the test above). */
class TaskFreeForgetsOtherGpus extends ConcurrentDmaPoolModel {
  override *freeTask(s: ConcurrentPoolState, task: TaskView, id: BufferId, withTracker: boolean): TaskBody {
    return yield* super.freeTask(s, task, id, withTracker, false);
  }
}

/** After a random pool life: free (of a held buffer) and alloc, each as one call and as a task alone, agree. */
function oneCallAndTaskAgree(model: ConcurrentDmaPoolModel, compared: { free: number; freeWithWork: number; alloc: number }) {
  const pool = (s: ConcurrentPoolState) => canonicalJson(snapshotPool(s));
  const asTask = (s: ConcurrentPoolState, start: Operation): Result => {
    model.apply(s, start, new FaultPlan((start.args['faults'] as number[] | undefined) ?? []));
    while (model.precondition(s, step(0))) model.apply(s, step(0), new FaultPlan());
    const done = s.tasks?.last?.returned;
    return done?.call.op === (start.op === 'startFree' ? 'free' : 'alloc') ? done.result : { ok: false, error: 'the task did not return' };
  };
  return fc.property(poolLifecycle, fc.nat(7), fc.boolean(), fc.boolean(), fc.boolean(), (ops, slot, withTracker, otherGpus, outTracker) => {
    const s = execute(dmaPoolSpec, model, ops, { invariants: [] }).state as ConcurrentPoolState;
    if (s.held.length > 0) {
      const [one, task] = [dmaPoolSpec.snapshot(s), dmaPoolSpec.snapshot(s)];
      const args = { slot, withTracker, otherGpus };
      const result = model.apply(one, op('free', args), new FaultPlan());
      if (JSON.stringify(asTask(task, op('startFree', { thread: 0, ...args }))) !== JSON.stringify(result) || pool(task) !== pool(one)) return false;
      compared.free++;
      if (withTracker) compared.freeWithWork++;
    }
    if (s.initialized && s.numDmaBuffers > 0) {
      const [one, task] = [dmaPoolSpec.snapshot(s), dmaPoolSpec.snapshot(s)];
      const result = model.apply(one, op('alloc', { outTracker, faults: [] }), new FaultPlan());
      if (JSON.stringify(asTask(task, op('startAlloc', { thread: 0, outTracker, faults: [] }))) !== JSON.stringify(result) || pool(task) !== pool(one)) return false;
      compared.alloc++;
    }
    return true;
  });
}
