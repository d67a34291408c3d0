// The DMA staging-buffer pool under concurrency: uvm_conf_computing_dma_buffer_alloc and _free called from several
// channels (threads T0..T3) at once, each a task made of the atomic steps between its lock acquisitions and await
// points (model/common/scheduler.ts). Source: 000_e4d5058719a42ede.txt, "uvm_conf_computing_dma_buffer_alloc": the
// pool lock is taken, the pool is expanded under it if the free list is empty, the head buffer is taken off the
// list and the lock is dropped; only then does the caller wait for the buffer's tracker (a sleep, during which
// any other channel may run). The free side is upstream's uvm_conf_computing_dma_buffer_free: the caller's tracker
// is merged into the buffer's first, then the buffer is added to the list under the lock.
//
// Operations added to the pool's (which stay available, as atomic steps, at quiescent points only: they are the
// same kernel functions run without interruption):
//   startAlloc(thread, outTracker, faults)  thread calls uvm_conf_computing_dma_buffer_alloc
//   startFree(thread, slot, withTracker)    thread gives the held buffer at `slot` to uvm_conf_computing_dma_buffer_free
//   step(thread)                            thread runs its next atomic step

import { concurrentInvariants, TaskFrame, withTaskTable, withTasksDescribed, type TaskSignatures } from '../common/concurrent.js';
import type { FaultPlan } from '../common/faults.js';
import { canonicalJson, linearizability, type Reference } from '../common/linearizability.js';
import { fail, ok, type Result } from '../common/result.js';
import {
  emptyTaskTable,
  isQuiescent,
  lockNext,
  Scheduler,
  stepSignature,
  threadArg,
  type Completed,
  type Suspension,
  type TaskBody,
  type TaskTable,
  type TaskView,
  type WithTasks,
} from '../common/scheduler.js';
import { bool, faultList, int, makeOp, typedOp } from '../common/schema.js';
import type { Invariant, Model } from '../common/spec.js';
import type { Operation } from '../common/values.js';
import { poolInvariants } from './invariants.js';
import { DmaPoolModel, poolSignatures } from './operations.js';
import { describePool, snapshotPool, type BufferId, type PoolState } from './state.js';

const SOURCE = '000_e4d5058719a42ede.txt';

/** The pool's state with the tasks running on it. */
export type ConcurrentPoolState = PoolState & WithTasks;

/**
 * What list_first_entry() returns on an EMPTY free list: the list head itself, taken for a buffer. The
 * specification never takes it (the list is never empty under the lock at that point); a race can.
 */
export const LIST_HEAD: BufferId = -1;

/** The pool lock (dma_buffer_pool->lock). */
export const POOL_LOCK = 'pool';

export const poolTaskSignatures = {
  /** Thread `thread` calls uvm_conf_computing_dma_buffer_alloc (the arguments of `alloc`). */
  startAlloc: { thread: threadArg(), outTracker: bool(), faults: faultList() },
  /** Thread `thread` frees the held buffer at `slot` (modulo the number held), as `free`. */
  startFree: { thread: threadArg(), slot: int(0, 1023), withTracker: bool(), otherGpus: bool() },
  ...stepSignature,
} satisfies TaskSignatures;

export function snapshotConcurrentPool(s: ConcurrentPoolState): ConcurrentPoolState {
  return withTaskTable<ConcurrentPoolState>(snapshotPool(s), s);
}

export function describeConcurrentPool(s: ConcurrentPoolState): string {
  return withTasksDescribed(describePool(s), s, ' | ');
}

export class ConcurrentDmaPoolModel extends DmaPoolModel {
  protected readonly scheduler = new Scheduler(snapshotPool as (s: never) => unknown);

  private readonly tasks = TaskFrame.of<ConcurrentPoolState, typeof poolTaskSignatures>(this.scheduler, poolTaskSignatures, {
    startAlloc: {
      // As alloc: the pool exists (UVM_ASSERT(num_dma_buffers > 0)).
      when: (s) => s.initialized && s.numDmaBuffers > 0,
      start: (s, { thread, outTracker, faults }) =>
        this.scheduler.start(s, thread, makeOp(poolSignatures, 'alloc', { outTracker, faults }), (task, plan) => this.allocTask(s, task, outTracker, plan)),
    },
    startFree: {
      when: (s) => s.held.length > 0,
      start: (s, { thread, slot, withTracker, otherGpus }) => {
        const at = slot % s.held.length;
        const id = s.held[at] as BufferId;
        // The caller hands the buffer over: from now on it is the free path's, not the caller's.
        const handOver = () => {
          s.held.splice(at, 1);
          return { given: id, buffer: id };
        };
        const call = makeOp(poolSignatures, 'free', { slot, withTracker, otherGpus });
        return this.scheduler.start(s, thread, call, (task) => this.freeTask(s, task, id, withTracker, otherGpus), handOver);
      },
    },
  });

  /** The sequential initial state: the task table appears with the first task. */
  override initialState(): ConcurrentPoolState {
    this.scheduler.reset();
    return super.initialState();
  }

  override precondition(s: ConcurrentPoolState, op: Operation): boolean {
    // The pool's own operations run as one uninterrupted step: only while no channel is inside the pool.
    return this.tasks.precondition(s, op, () => isQuiescent(s) && super.precondition(s, op));
  }

  override apply(s: ConcurrentPoolState, op: Operation, faults: FaultPlan): Result {
    return this.tasks.apply(s, op, faults, () => super.apply(s, op, faults));
  }

  // ---- uvm_conf_computing_dma_buffer_alloc as a task ---------------------------------------------------------

  /** The whole call: the locked part, the tracker wait (a sleep), then the hand-out or the error path. */
  *allocTask(s: ConcurrentPoolState, task: TaskView, outTracker: boolean, faults: FaultPlan): TaskBody {
    yield lockNext(POOL_LOCK, 'mutex_lock(pool); expand if the list is empty; take the head; unlock');
    const error = yield* this.allocLocked(s, task, faults);
    if (error !== undefined) return fail(error);
    yield { at: outTracker ? 'tracker wait (other GPUs), add to out_tracker' : 'tracker wait (other GPUs, then own)' };
    const id = task.locals['buffer'] as BufferId;
    const waitError = this.waitForBuffer(s, id, outTracker, faults);
    if (waitError !== undefined) {
      // error: the tracker (see recoverTracker), then uvm_conf_computing_dma_buffer_free(pool, buffer, NULL), which takes the lock.
      this.recoverTracker(s, id);
      yield lockNext(POOL_LOCK, 'error path: mutex_lock(pool); put the buffer back; unlock');
      this.poolAddTaken(s, task);
      this.scheduler.unlock(s, POOL_LOCK);
      return fail(waitError);
    }
    delete task.locals['buffer'];
    return this.handOut(s, id);
  }

  /**
   * With the pool lock held (the task took it when scheduled): expand if the free list is empty, take the head
   * buffer off the list, drop the lock. Returns the expansion's error, after dropping the lock.
   */
  *allocLocked(s: ConcurrentPoolState, task: TaskView, faults: FaultPlan): Generator<Suspension, string | undefined, void> {
    if (s.free.length === 0) {
      const error = this.expand(s, faults);
      if (error !== undefined) {
        this.scheduler.unlock(s, POOL_LOCK);
        return error;
      }
    }
    this.takeHead(s, task);
    this.scheduler.unlock(s, POOL_LOCK);
    return undefined;
  }

  /** list_first_entry + list_del_init: the head of the free list becomes the task's (`buffer`; `taken` remembers it). */
  takeHead(s: ConcurrentPoolState, task: TaskView): void {
    const id = s.free.length > 0 ? (s.free.shift() as BufferId) : LIST_HEAD;
    task.locals['buffer'] = id;
    task.locals['taken'] = id;
  }

  // ---- uvm_conf_computing_dma_buffer_free as a task ----------------------------------------------------------

  /** Merge the caller's tracker into the buffer's (no lock), then add the buffer to the list under the lock. */
  *freeTask(s: ConcurrentPoolState, task: TaskView, id: BufferId, withTracker: boolean, otherGpus: boolean): TaskBody {
    this.mergeCallerTracker(s, id, withTracker, otherGpus);
    yield lockNext(POOL_LOCK, 'mutex_lock(pool); add to the free list; unlock');
    this.poolAddTaken(s, task);
    this.scheduler.unlock(s, POOL_LOCK);
    return ok();
  }

  /** dma_buffer_pool_add of the task's buffer (called with the lock held); the task no longer has it. */
  poolAddTaken(s: ConcurrentPoolState, task: TaskView): void {
    this.poolAdd(s, task.locals['buffer'] as BufferId);
    delete task.locals['buffer'];
  }
}

// ---- Invariants -----------------------------------------------------------------------------------------------

function tasksOf(s: ConcurrentPoolState): TaskTable {
  return s.tasks ?? emptyTaskTable();
}

/** Which task holds which buffer, for messages. */
function holderText(s: ConcurrentPoolState, id: BufferId): string {
  if (s.held.includes(id)) return 'a caller holds it';
  if (s.free.includes(id)) return 'it is on the free list';
  const other = tasksOf(s).running.find((t) => t.locals['buffer'] === id);
  return other === undefined ? 'nobody' : `T${other.thread} (${other.call.op}) has it`;
}

/** How a stretch of the pool is re-run on the sequential specification (for linearizability). */
export const poolReference: Reference<ConcurrentPoolState> = {
  model: () => new SequentialPoolOfState(),
  copy: (s) => snapshotPool(s),
  canonical: canonicalPool,
  describe: describePool,
  // An alloc whose tracker wait failed after it took a buffer is, as the driver writes it, a take and then a
  // uvm_conf_computing_dma_buffer_free(pool, buffer, NULL): two linearization points, not one.
  parts: (done) => (failedAfterTake(done) === undefined ? 1 : 2),
  operation: (s, done, part) => {
    const call = typedOp(poolSignatures, done.call);
    if (call?.op === 'free') return freeOf(s, done.locals['given'] as BufferId, call.args.withTracker, call.args.otherGpus);
    const taken = failedAfterTake(done);
    if (call?.op !== 'alloc' || taken === undefined) return done.call;
    if (part === 1) return freeOf(s, taken.buffer, false, false);
    // The take alone: the same call with no fault from its first failed tracker step on (the tracker steps are the
    // call's last fallible steps, and the take does not depend on them).
    const firstFailed = Math.min(...taken.failedAt);
    return makeOp(poolSignatures, 'alloc', { ...call.args, faults: call.args.faults.filter((i) => i < firstFailed) });
  },
  expected: (done, part) => {
    const taken = failedAfterTake(done);
    if (taken === undefined) return done.result;
    return part === 0 ? ok(taken.buffer) : ok();
  },
};

export const poolConcurrencyInvariants: readonly Invariant<ConcurrentPoolState>[] = [
  {
    // 000, "uvm_conf_computing_dma_buffer_alloc": under the pool lock the list is non-empty ("guaranteed that at
    // least one DMA stage buffer is available") and list_del_init makes the head buffer this caller's alone.
    name: 'takenBufferIsLiveAndExclusive',
    source: `${SOURCE} § uvm_conf_computing_dma_buffer_alloc (guaranteed at least one buffer; list_del_init under the lock)`,
    check: ({ after }) => {
      const seen = new Map<BufferId, number>();
      for (const task of tasksOf(after).running) {
        const value = task.locals['buffer'];
        if (value === undefined) continue;
        const id = value as BufferId;
        if (id === LIST_HEAD)
          return `T${task.thread} took the head of an EMPTY free list (list_first_entry returns the list head itself): it uses pool memory as a buffer`;
        if (!after.buffers.has(id)) return `T${task.thread} has b${id}, whose struct was freed (use after free)`;
        if (after.free.includes(id)) return `T${task.thread} has b${id} while it is on the free list: the next alloc hands it out again`;
        if (after.held.includes(id)) return `T${task.thread} has b${id} while a caller holds it`;
        const other = seen.get(id);
        if (other !== undefined) return `T${other} and T${task.thread} both have b${id} (${holderText(after, id)})`;
        seen.set(id, task.thread);
      }
      return undefined;
    },
  },
  linearizability<ConcurrentPoolState>(
    'poolIsLinearizable',
    `${SOURCE} § uvm_conf_computing_dma_buffer_alloc (pool lock around expand and list_del_init; error path frees) / dma_buffer_free`,
    poolReference,
  ),
];

/** The alloc took `buffer` and then failed in its tracker steps (the fallible steps `failedAt`). */
function failedAfterTake(done: Completed): { buffer: BufferId; failedAt: number[] } | undefined {
  if (done.call.op !== 'alloc' || done.result.ok || done.locals['taken'] === undefined) return undefined;
  const waits = done.faults.filter((f) => f.site.startsWith('uvm_tracker')).map((f) => f.index);
  return waits.length === 0 ? undefined : { buffer: done.locals['taken'] as BufferId, failedAt: waits };
}

/** free of `buffer` in the reference state: the slot where it is held there. */
function freeOf(s: PoolState, buffer: BufferId, withTracker: boolean, otherGpus: boolean): Operation | undefined {
  const at = s.held.indexOf(buffer);
  return at < 0 ? undefined : makeOp(poolSignatures, 'free', { slot: at, withTracker, otherGpus });
}

/** The sequential specification of whichever version the state it is applied to follows (for linearizability). */
class SequentialPoolOfState implements Model<PoolState> {
  private readonly byVersion = new Map<string, DmaPoolModel>();
  private of(s: PoolState): DmaPoolModel {
    let model = this.byVersion.get(s.version);
    if (model === undefined) this.byVersion.set(s.version, (model = new DmaPoolModel(s.version)));
    return model;
  }
  initialState(): PoolState {
    return new DmaPoolModel().initialState();
  }
  precondition(s: PoolState, op: Operation): boolean {
    return this.of(s).precondition(s, op);
  }
  apply(s: PoolState, op: Operation, faults: FaultPlan): Result {
    return this.of(s).apply(s, op, faults);
  }
}

/**
 * The pool as compared between a concurrent run and a sequential one: which caller holds which buffer and the
 * order they got them in are the callers' business, and the encrypted_page_mask of a buffer on the free list
 * is dead (alloc clears it before any hand-out).
 */
function canonicalPool(s: PoolState): string {
  const onList = new Set(s.free);
  const buffers = new Map([...s.buffers].map(([id, b]) => [id, onList.has(id) ? { ...b, encryptedPageMask: 0n } : b]));
  return canonicalJson({ ...s, buffers, held: [...s.held].sort((x, y) => x - y) });
}

/** The pool's invariants for runs with tasks: the sequential ones at quiescent points, then the concurrent ones. */
export const concurrentPoolInvariants: readonly Invariant<ConcurrentPoolState>[] = concurrentInvariants(
  poolInvariants,
  snapshotConcurrentPool,
  poolConcurrencyInvariants,
);
