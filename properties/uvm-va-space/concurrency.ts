// GPU registration racing the mm teardown and other registrations: schedules in which registrations (whose retain
// and counter enablement run before the VA space lock) interleave with uvm_va_space_mm_shutdown and with
// registrations and unregistrations of the same GPUs; and the races a driver could have (each a mutant
// overriding one step of ConcurrentVaSpaceModel).

import fc from 'fast-check';
import { startsOf } from '../../model/common/concurrent.js';
import { operationsOf } from '../../model/common/schema.js';
import { vaSpaceSignatures } from '../../model/uvm-va-space/operations.js';
import { vaSpaceTaskSignatures } from '../../model/uvm-va-space/concurrent.js';
import type { FaultPlan } from '../../model/common/faults.js';
import { fail, ok } from '../../model/common/result.js';
import { endedStretch, lockNext, overlapping, type TaskBody, type TaskView } from '../../model/common/scheduler.js';
import type { Operation } from '../../model/common/values.js';
import { ConcurrentVaSpaceModel, gpuProcBit, isRegistered, VA_SPACE_LOCK, type ConcurrentVaSpaceState, type VaSpaceState } from '../../model/uvm-va-space/index.js';
import { interleaved, onThreads, type Call } from '../harness/schedules.js';
import { mutantOf, type MutantDef, type PropertyDef } from '../harness/suite.js';

const op = operationsOf(vaSpaceSignatures);
const start = startsOf(vaSpaceTaskSignatures);

/** The three non-coherent GPUs mostly (they can all be registered together); the coherent ones now and then. */
const gpu = fc.oneof({ weight: 6, arbitrary: fc.constantFrom(0, 1, 2) }, { weight: 1, arbitrary: fc.constantFrom(3, 4) });
/** Mostly no fault; now and then one of the first registration steps fails. */
const faults = fc.oneof({ withCrossShrink: true }, { weight: 6, arbitrary: fc.constant<number[]>([]) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 4 }).map((i) => [i]) });

/** A registration needs 1 step after its call (the locked part); the teardown 2. Extra steps are skipped. */
const registerCall: fc.Arbitrary<Call> = fc.record({ gpu, faults }).map((args) => ({ start: start('startRegisterGpu', args), steps: 2 }));
const shutdownCall: fc.Arbitrary<Call> = fc.constant({ start: start('startMmShutdown', {}), steps: 3 });
const call = fc.oneof({ weight: 3, arbitrary: registerCall }, { weight: 2, arbitrary: shutdownCall });

/** Between task steps: the teardown as a whole, a registration or unregistration as a whole. */
const atomicStep = fc.oneof(
  { weight: 3, arbitrary: fc.constant(op('mmShutdown', {})) },
  { weight: 2, arbitrary: gpu.map((g) => op('registerGpu', { gpu: g, faults: [] })) },
  { weight: 1, arbitrary: gpu.map((g) => op('unregisterGpu', { gpu: g })) },
);

/** A VA space, perhaps with a GPU registered already. */
const setup = fc
  .record({ sevEnabled: fc.boolean(), first: fc.option(gpu, { freq: 2 }) })
  .map(({ sevEnabled, first }) => [op('create', { sevEnabled, faults: [] }), ...(first === null ? [] : [op('registerGpu', { gpu: first, faults: [] })])]);

const raceBlock = interleaved(onThreads(call, 2, 3), atomicStep, { maxEvents: 12, maxAtomic: 2 });

export const concurrentRegistrationRuns: fc.Arbitrary<Operation[]> = fc
  .tuple(setup, fc.array(raceBlock, { minLength: 1, maxLength: 2 }))
  .map(([first, blocks]) => [...first, ...blocks.flat()]);

export const vaSpaceConcurrencyProperty: PropertyDef<VaSpaceState> = {
  name: 'concurrentRegistration',
  description: 'GPU registrations racing the mm teardown and each other, every interleaving of their unlocked and locked parts',
  source: '000_e4d5058719a42ede.txt § uvm_va_space_register_gpu (retain and counters before the lock; checks under it)',
  operations: concurrentRegistrationRuns,
  numRuns: 300,
  labels: [
    {
      name: 'registrationOverlapsTeardown',
      description: 'a GPU registration and the mm teardown overlapped in time',
      minShare: 0.2,
      test: ({ after }) => {
        const stretch = endedStretch(after as ConcurrentVaSpaceState);
        return (
          stretch !== undefined &&
          overlapping(stretch) &&
          stretch.history.some((h) => h.call.op === 'registerGpu') &&
          stretch.history.some((h) => h.call.op === 'mmShutdown')
        );
      },
    },
    {
      name: 'teardownBetweenRetainAndLock',
      description: 'the teardown set disallow_new_registers while a registration had retained its GPU but not yet taken the lock',
      minShare: 0.1,
      test: ({ before, after }) =>
        !before.disallowNewRegisters && after.disallowNewRegisters && ((after as ConcurrentVaSpaceState).tasks?.running ?? []).some((t) => t.call.op === 'registerGpu'),
    },
  ],
};

// ---- Races -------------------------------------------------------------------------------------------------------

/** registerGpu under the lock without its checks that the GPU is new and the mm alive, which it made before the lock. */
function registerWithoutChecks(model: ConcurrentVaSpaceModel, s: ConcurrentVaSpaceState, g: number, faults: FaultPlan, skip: 'teardown' | 'duplicate'): string | undefined {
  const { disallowNewRegisters, registered } = s;
  if (skip === 'teardown') s.disallowNewRegisters = false;
  else s.registered &= ~gpuProcBit(g);
  const error = model.registerGpuLocked(s, g, faults);
  if (skip === 'teardown') s.disallowNewRegisters = disallowNewRegisters;
  else s.registered |= registered & gpuProcBit(g);
  return error;
}

/**
 * Registration tests disallow_new_registers once, before it takes the VA space lock (next to the retain and the
 * counter enablement), and not again under the lock: a teardown in between does not stop it.
 */
export class RegistrationSkipsTeardownRecheck extends ConcurrentVaSpaceModel {
  override *registerGpuTask(s: ConcurrentVaSpaceState, _task: TaskView, g: number, faults: FaultPlan): TaskBody {
    const early = this.retainForRegistration(s, g, faults);
    if (early !== undefined) return fail(early);
    if (s.disallowNewRegisters) {
      this.releaseAfterFailedRegistration(s, g);
      return fail('NV_ERR_PAGE_TABLE_NOT_AVAIL');
    }
    yield lockNext(VA_SPACE_LOCK, 'uvm_va_space_down_write; register (teardown not re-checked); up_write');
    const error = registerWithoutChecks(this, s, g, faults, 'teardown');
    this.scheduler.unlock(s, VA_SPACE_LOCK);
    if (error !== undefined) {
      this.releaseAfterFailedRegistration(s, g);
      return fail(error);
    }
    return ok();
  }
}

/** Registration tests "already registered" before it takes the VA space lock and not again under it. */
export class RegistrationChecksDuplicateBeforeLock extends ConcurrentVaSpaceModel {
  override *registerGpuTask(s: ConcurrentVaSpaceState, _task: TaskView, g: number, faults: FaultPlan): TaskBody {
    const early = this.retainForRegistration(s, g, faults);
    if (early !== undefined) return fail(early);
    if (isRegistered(s, g)) {
      this.releaseAfterFailedRegistration(s, g);
      return fail('NV_ERR_INVALID_DEVICE');
    }
    yield lockNext(VA_SPACE_LOCK, 'uvm_va_space_down_write; register (duplicate not re-checked); up_write');
    const error = registerWithoutChecks(this, s, g, faults, 'duplicate');
    this.scheduler.unlock(s, VA_SPACE_LOCK);
    if (error !== undefined) {
      this.releaseAfterFailedRegistration(s, g);
      return fail(error);
    }
    return ok();
  }
}

const raceMutant = mutantOf<VaSpaceState>(vaSpaceConcurrencyProperty.name);

export const vaSpaceRaceMutants: readonly MutantDef<VaSpaceState>[] = [
  raceMutant(
    'registrationSkipsTeardownRecheck',
    'noGpuRegisteredOnceDisallowed',
    4,
    'registration tests disallow_new_registers before taking the VA space lock and not again under it',
    RegistrationSkipsTeardownRecheck,
  ),
  raceMutant(
    'registrationChecksDuplicateBeforeLock',
    'vaSpaceIsLinearizable',
    4,
    'registration tests "already registered" before taking the VA space lock and not again under it',
    RegistrationChecksDuplicateBeforeLock,
  ),
];
