// Hand-written schedules of the pool under concurrency: what the specification does in the races that matter,
// the upstream behaviour that makes a failed alloc two linearization points, and the timeline of a race.
import { describe, expect, it } from 'vitest';
import { FaultPlan } from '../../model/common/faults.js';
import { endedStretch, linearize } from '../../model/common/tasks.js';
import type { Operation } from '../../model/common/values.js';
import { dmaPoolSpec, type ConcurrentPoolState } from '../../model/dma-pool/index.js';
import { poolReference } from '../../model/dma-pool/concurrent.js';
import { execute } from '../harness/interpreter.js';
import { formatTimeline } from '../harness/timeline.js';
import { AllocDropsLockAcrossExpansion } from './concurrency.js';

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
    // Replay to the end to get the final state, then judge the stretch with a reference that has one point per alloc.
    const state = model.initialState() as ConcurrentPoolState;
    for (const o of ops) if (model.precondition(state, o)) model.apply(state, o, new FaultPlan((o.args['faults'] as number[] | undefined) ?? []));
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
});
