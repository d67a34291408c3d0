// GPU registration racing the VA space's mm teardown. Source: 000_e4d5058719a42ede.txt,
// "uvm_va_space_register_gpu": the GPU is retained and its access counters are enabled BEFORE the VA space lock
// (the comment there explains why), then, under uvm_va_space_down_write, the checks run: already registered,
// coherence mix, and "The VA space's mm is being torn down, so don't allow more work" (disallow_new_registers).
// The teardown side is upstream's uvm_va_space_mm_shutdown (uvm_va_space_mm.c, README of this subsystem): under
// the VA space lock in write mode it sets disallow_new_registers, and it then stops the GPUs' work on the mm,
// dropping and retaking the lock, before it marks the mm dead. Each is a task (model/common/scheduler.ts):
//   startRegisterGpu(thread, gpu, faults)  retain + counters now; the locked part when next scheduled
//   startMmShutdown(thread)                disallow_new_registers under the lock; then the rest of the teardown
//   step(thread)                           thread runs its next atomic step
// Every other operation (and registerGpu / mmShutdown as a whole) is one atomic step between task steps.

import { concurrentInvariants, TaskFrame, withTaskTable, withTasksDescribed, type TaskSignatures } from '../common/concurrent.js';
import type { FaultPlan } from '../common/faults.js';
import { canonicalJson, linearizability } from '../common/linearizability.js';
import { fail, ok, type Result } from '../common/result.js';
import { lockNext, Scheduler, stepSignature, threadArg, type TaskBody, type TaskView, type WithTasks } from '../common/scheduler.js';
import { faultList, int, makeOp } from '../common/schema.js';
import type { Invariant } from '../common/spec.js';
import type { Operation } from '../common/values.js';
import { vaSpaceInvariants } from './invariants.js';
import { UvmVaSpaceModel, vaSpaceSignatures } from './operations.js';
import { describeVaSpace, GPU_COUNT, GPUS, gpuProcBit, snapshotVaSpace, type VaSpaceState } from './state.js';

const S000 = '000_e4d5058719a42ede.txt';

export type ConcurrentVaSpaceState = VaSpaceState & WithTasks;

/** va_space->lock (uvm_va_space_down_write / up_write). */
export const VA_SPACE_LOCK = 'va_space';

export const vaSpaceTaskSignatures = {
  /** Thread `thread` calls uvm_va_space_register_gpu (the arguments of `registerGpu`). */
  startRegisterGpu: { thread: threadArg(), gpu: int(0, GPU_COUNT - 1), faults: faultList() },
  /** Thread `thread` runs uvm_va_space_mm_shutdown (the process's mm is being torn down). */
  startMmShutdown: { thread: threadArg() },
  ...stepSignature,
} satisfies TaskSignatures;

export function snapshotConcurrentVaSpace(s: ConcurrentVaSpaceState): ConcurrentVaSpaceState {
  return withTaskTable<ConcurrentVaSpaceState>(snapshotVaSpace(s), s);
}

export function describeConcurrentVaSpace(s: ConcurrentVaSpaceState): string {
  return withTasksDescribed(describeVaSpace(s), s, '\n     ');
}

function shutdownRunning(s: ConcurrentVaSpaceState): boolean {
  return (s.tasks?.running ?? []).some((t) => t.call.op === 'mmShutdown');
}

export class ConcurrentVaSpaceModel extends UvmVaSpaceModel {
  protected readonly scheduler = new Scheduler(snapshotVaSpace as (s: never) => unknown);

  private readonly tasks = TaskFrame.of<ConcurrentVaSpaceState, typeof vaSpaceTaskSignatures>(this.scheduler, vaSpaceTaskSignatures, {
    startRegisterGpu: {
      when: (s) => s.created,
      start: (s, { thread, gpu, faults }) =>
        this.scheduler.start(s, thread, makeOp(vaSpaceSignatures, 'registerGpu', { gpu, faults }), (task, plan) => this.registerGpuTask(s, task, gpu, plan)),
    },
    startMmShutdown: {
      when: (s) => s.created && s.mmAlive && !shutdownRunning(s),
      start: (s, { thread }) => this.scheduler.start(s, thread, makeOp(vaSpaceSignatures, 'mmShutdown', {}), () => this.mmShutdownTask(s)),
    },
  });

  /** The sequential initial state: the task table appears with the first task. */
  override initialState(): ConcurrentVaSpaceState {
    this.scheduler.reset();
    return super.initialState();
  }

  override precondition(s: ConcurrentVaSpaceState, op: Operation): boolean {
    // Every other call takes the VA space lock for its whole length: one atomic step between task steps.
    return this.tasks.precondition(
      s,
      op,
      () => (op.op !== 'mmShutdown' || !shutdownRunning(s)) && !this.scheduler.anyLockHeld(s) && super.precondition(s, op),
    );
  }

  override apply(s: ConcurrentVaSpaceState, op: Operation, faults: FaultPlan): Result {
    return this.tasks.apply(s, op, faults, () => super.apply(s, op, faults));
  }

  // ---- uvm_va_space_register_gpu as a task ---------------------------------------------------------------------

  /** Retain and enable the counters without the lock; then down_write, the checks and the registration, up_write. */
  *registerGpuTask(s: ConcurrentVaSpaceState, task: TaskView, g: number, faults: FaultPlan): TaskBody {
    const early = this.retainForRegistration(s, g, faults);
    if (early !== undefined) return fail(early);
    yield lockNext(VA_SPACE_LOCK, 'uvm_va_space_down_write; checks; register; up_write');
    const error = this.registerGpuLocked(s, g, faults);
    this.scheduler.unlock(s, VA_SPACE_LOCK);
    if (error !== undefined) {
      this.releaseAfterFailedRegistration(s, g);
      return fail(error);
    }
    return ok();
  }

  /** uvm_gpu_retain_by_uuid, then uvm_gpu_access_counters_enable if the GPU needs it (the sequential order). */
  retainForRegistration(s: ConcurrentVaSpaceState, g: number, faults: FaultPlan): string | undefined {
    if (faults.fails('uvm_gpu_retain_by_uuid')) return 'NV_ERR_NO_MEMORY';
    s.gpuRetained[g] = (s.gpuRetained[g] ?? 0) + 1;
    if ((GPUS[g] as (typeof GPUS)[number]).accessCountersRequired) {
      if (faults.fails('uvm_gpu_access_counters_enable')) {
        s.gpuRetained[g] = (s.gpuRetained[g] ?? 0) - 1;
        return 'NV_ERR_NO_MEMORY';
      }
      s.accessCounterRefs[g] = (s.accessCounterRefs[g] ?? 0) + 1;
    }
    return undefined;
  }

  // ---- uvm_va_space_mm_shutdown as a task ----------------------------------------------------------------------

  /**
   * Under the lock: disallow_new_registers. Then (the lock dropped and retaken, as upstream does) the user channels
   * are stopped and the fault buffers of the faultable GPUs flushed; then the mm is marked dead.
   */
  *mmShutdownTask(s: ConcurrentVaSpaceState): TaskBody {
    yield lockNext(VA_SPACE_LOCK, 'uvm_va_space_down_write; disallow_new_registers = true; up_write');
    s.disallowNewRegisters = true;
    this.scheduler.unlock(s, VA_SPACE_LOCK);
    // Stopping the channels and flushing the fault buffers of the GPUs registered now is what keeps them off the
    // dying mm; a GPU registered after this point would keep using it.
    yield { at: 'stop channels, flush fault buffers, mark the mm dead' };
    s.mmAlive = false;
    return ok();
  }
}

// ---- Invariants -----------------------------------------------------------------------------------------------

export const vaSpaceConcurrencyInvariants: readonly Invariant<ConcurrentVaSpaceState>[] = [
  {
    // 000, "uvm_va_space_register_gpu": disallow_new_registers is tested under the VA space lock that the teardown
    // sets it under, so once it is set no step of any thread may make a GPU registered.
    name: 'noGpuRegisteredOnceDisallowed',
    source: `${S000} § uvm_va_space_register_gpu ("The VA space's mm is being torn down, so don't allow more work", under uvm_va_space_down_write)`,
    check: ({ before, after }) => {
      if (!before.disallowNewRegisters) return undefined;
      const added = after.registered & ~before.registered;
      if (added === 0) return undefined;
      const g = GPUS.findIndex((_, i) => (added & gpuProcBit(i)) !== 0);
      const who = after.tasks?.last === null || after.tasks?.last === undefined ? '' : ` by T${after.tasks.last.thread}`;
      return `${GPUS[g]?.name ?? `gpu${g}`} was registered${who} after disallow_new_registers was set: the mm teardown will not stop its work`;
    },
  },
  linearizability<ConcurrentVaSpaceState>(
    'vaSpaceIsLinearizable',
    `${S000} § uvm_va_space_register_gpu (checks and registration under one uvm_va_space_down_write)`,
    {
      model: () => new UvmVaSpaceModel(),
      copy: (s) => snapshotVaSpace(s),
      canonical: (s) => canonicalJson(s),
      describe: (s) => describeVaSpace(s).split('\n')[0] ?? '',
    },
  ),
];

/** The VA space's invariants for runs with tasks: the sequential ones at quiescent points, then the concurrent ones. */
export const concurrentVaSpaceInvariants: readonly Invariant<ConcurrentVaSpaceState>[] = concurrentInvariants(
  vaSpaceInvariants,
  snapshotConcurrentVaSpace,
  vaSpaceConcurrencyInvariants,
);
