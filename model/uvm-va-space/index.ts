// The UVM per-process VA space as a specification: GPU registration and the sysmem DMA allocations of its GPUs.
// GPU registration and the mm teardown also run as tasks on several threads (concurrent.ts); the sequential
// invariants hold at every quiescent point and concurrent histories are linearizable.
import type { SubsystemSpec } from '../common/spec.js';
import { concurrentVaSpaceInvariants, ConcurrentVaSpaceModel, describeConcurrentVaSpace, snapshotConcurrentVaSpace, vaSpaceTaskSignatures } from './concurrent.js';
import { vaSpaceSignatures } from './operations.js';
import type { VaSpaceState } from './state.js';

export const uvmVaSpaceSpec: SubsystemSpec<VaSpaceState> = {
  name: 'uvm-va-space',
  title: 'UVM VA space: GPU registration and sysmem DMA allocations',
  versions: [{ name: 'uvm-575', upstream: 'open-gpu-kernel-modules 550.x-575.x (uvm_va_space.c, uvm_mem.c)', checkedAgainst: 'read against commit 41595798880394d9c6fa5e76b37ffc1bc428cfb2' }],
  sources: ['000_e4d5058719a42ede.txt', '003_af321b1ea2953044.txt'],
  signatures: { ...vaSpaceSignatures, ...vaSpaceTaskSignatures },
  invariants: concurrentVaSpaceInvariants,
  createModel: () => new ConcurrentVaSpaceModel(),
  snapshot: snapshotConcurrentVaSpace,
  describe: describeConcurrentVaSpace,
};

export { UvmVaSpaceModel, vaSpaceSignatures } from './operations.js';
export { ConcurrentVaSpaceModel, VA_SPACE_LOCK, type ConcurrentVaSpaceState } from './concurrent.js';
export { expectedMasks, processorMaskRelationsViolation } from './invariants.js';
export * from './state.js';
