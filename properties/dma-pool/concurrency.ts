// The pool under concurrency: schedules in which two or three channels allocate and free at once, and the races
// a real driver could have (each a mutant overriding one step of ConcurrentDmaPoolModel).

import fc from 'fast-check';
import { startsOf } from '../../model/common/concurrent.js';
import { operationsOf } from '../../model/common/schema.js';
import { poolSignatures } from '../../model/dma-pool/operations.js';
import { poolTaskSignatures } from '../../model/dma-pool/concurrent.js';
import type { FaultPlan } from '../../model/common/faults.js';
import { ok } from '../../model/common/result.js';
import { endedStretch, lockNext, overlapping, type Suspension, type TaskBody, type TaskView } from '../../model/common/scheduler.js';
import type { Operation } from '../../model/common/values.js';
import { ConcurrentDmaPoolModel, POOL_LOCK, type BufferId, type ConcurrentPoolState, type PoolState } from '../../model/dma-pool/index.js';
import { interleaved, onThreads, type Call } from '../harness/schedules.js';
import { mutantOf, type MutantDef, type PropertyDef } from '../harness/suite.js';
import { FALLIBLE_STEPS_PER_BUFFER_BY_VERSION, poolOperation } from './generators.js';

const op = operationsOf(poolSignatures);
const start = startsOf(poolTaskSignatures);

/**
 * Mostly no fault; now and then a tracker step fails (index 0 or 1 with no expansion, or right after one buffer made,
 * in either version's count of steps per buffer).
 */
const concurrentFaults = fc.oneof(
  { withCrossShrink: true },
  { weight: 8, arbitrary: fc.constant<number[]>([]) },
  { weight: 2, arbitrary: fc.constantFrom([0], [1], [0, 1], [1, 2]) },
  { weight: 1, arbitrary: fc.constantFrom(...FALLIBLE_STEPS_PER_BUFFER_BY_VERSION.flatMap((n) => [[n], [n + 1], [n, n + 1]])) },
);

/** An alloc needs 2 steps (lock section, tracker wait) and 3 on its error path; a free 1. Extra steps are skipped. */
const allocCall: fc.Arbitrary<Call> = fc
  .record({ outTracker: fc.boolean(), faults: concurrentFaults })
  .map((args) => ({ start: start('startAlloc', args), steps: 3 }));
const freeCall: fc.Arbitrary<Call> = fc
  .record({ slot: fc.nat(3), withTracker: fc.boolean(), otherGpus: fc.boolean() })
  .map((args) => ({ start: start('startFree', args), steps: 2 }));
const call = fc.oneof({ weight: 3, arbitrary: allocCall }, { weight: 2, arbitrary: freeCall });

/**
 * A pool of one buffer (it grows by expansion: 1, 2, 4, ...), then a few plain allocs so that the free list is
 * often empty when the channels arrive; in half the cases some of those buffers are given back with their users'
 * unfinished work, so that the channels' tracker steps have something to wait for (and to fail on).
 */
const setup = fc
  .record({ allocs: fc.nat(3), giveBack: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 2 })), otherGpus: fc.boolean() })
  .map(({ allocs, giveBack, otherGpus }) => [
    op('init', { count: 1, faults: [] }),
    ...Array.from({ length: allocs }, () => op('alloc', { outTracker: false, faults: [] })),
    ...Array.from({ length: Math.min(giveBack, allocs) }, () => op('free', { slot: 0, withTracker: true, otherGpus })),
  ]);

/** Two or three channels at once, in a random interleaving. */
const raceBlock = interleaved(onThreads(call, 2, 3));

/**
 * A pool, a few ordinary calls (so the race starts from varied states), and one race. One race per case keeps the
 * cases short and lets the shrinker take whole threads away.
 */
export const concurrentPoolRuns: fc.Arbitrary<Operation[]> = fc
  .tuple(setup, fc.array(poolOperation, { maxLength: 2 }), raceBlock)
  .map(([first, calls, race]) => [...first, ...calls, ...race]);

export const poolConcurrencyProperty: PropertyDef<PoolState> = {
  name: 'concurrentAllocFree',
  description: 'alloc and free from two or three channels at once, every interleaving of their lock sections and tracker waits',
  source: '000_e4d5058719a42ede.txt § uvm_conf_computing_dma_buffer_alloc (pool lock, expand under it, tracker wait outside it)',
  operations: concurrentPoolRuns,
  numRuns: 600,
  labels: [
    {
      name: 'overlappingCalls',
      description: 'two calls overlapped in time (one was called before the other returned)',
      minShare: 0.4,
      test: ({ after }) => {
        const stretch = endedStretch(after as ConcurrentPoolState);
        return stretch !== undefined && overlapping(stretch);
      },
    },
    {
      name: 'expansionWhileAnotherWaits',
      description: 'an alloc expanded the pool while another channel was inside alloc or free',
      minShare: 0.1,
      test: ({ op, before, after }) =>
        op.op === 'step' && after.numDmaBuffers > before.numDmaBuffers && ((before as ConcurrentPoolState).tasks?.running.length ?? 0) > 1,
    },
    {
      name: 'trackerWaitFailedInRace',
      description: "an alloc's tracker wait failed while another channel was running (the error path frees under the lock)",
      minShare: 0.01,
      test: ({ after }) => {
        const done = (after as ConcurrentPoolState).tasks?.last?.returned;
        return done !== undefined && done.call.op === 'alloc' && done.faults.some((f) => f.site.startsWith('uvm_tracker')) && !done.result.ok;
      },
    },
  ],
};

// ---- Races -------------------------------------------------------------------------------------------------------

/**
 * alloc drops the pool lock while it expands the pool and takes it again to take the head buffer: another channel
 * can take the new buffer in between, and list_first_entry then reads the head of an empty list.
 */
export class AllocDropsLockAcrossExpansion extends ConcurrentDmaPoolModel {
  override *allocLocked(s: ConcurrentPoolState, task: TaskView, faults: FaultPlan): Generator<Suspension, string | undefined, void> {
    if (s.free.length === 0) {
      this.scheduler.unlock(s, POOL_LOCK);
      yield { at: 'expand the pool (lock dropped)' };
      const error = this.expand(s, faults);
      if (error !== undefined) return error;
      yield lockNext(POOL_LOCK, 'mutex_lock(pool); take the head; unlock');
    }
    this.takeHead(s, task);
    this.scheduler.unlock(s, POOL_LOCK);
    return undefined;
  }
}

/**
 * free puts the buffer back on the list first and merges the caller's tracker into it afterwards, outside the
 * lock: another channel can take the buffer in between and hand it out without waiting for that work.
 */
export class FreeMergesTrackerAfterListAdd extends ConcurrentDmaPoolModel {
  override *freeTask(s: ConcurrentPoolState, task: TaskView, id: BufferId, withTracker: boolean, otherGpus: boolean): TaskBody {
    yield lockNext(POOL_LOCK, 'mutex_lock(pool); add to the free list; unlock');
    this.poolAddTaken(s, task);
    this.scheduler.unlock(s, POOL_LOCK);
    yield { at: "merge the caller's tracker (buffer already on the list)" };
    this.mergeCallerTracker(s, id, withTracker, otherGpus);
    return ok();
  }
}

const raceMutant = mutantOf<PoolState>(poolConcurrencyProperty.name);

export const poolRaceMutants: readonly MutantDef<PoolState>[] = [
  raceMutant(
    'allocDropsLockAcrossExpansion',
    'takenBufferIsLiveAndExclusive',
    8,
    'alloc drops the pool lock across dma_buffer_pool_expand_locked and retakes it to take the head buffer',
    AllocDropsLockAcrossExpansion,
  ),
  raceMutant(
    'freeMergesTrackerAfterListAdd',
    'poolIsLinearizable',
    8,
    "free adds the buffer to the free list before merging the caller's tracker into it",
    FreeMergesTrackerAfterListAdd,
  ),
];
