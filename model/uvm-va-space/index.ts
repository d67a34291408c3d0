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
  versions: [
    {
      name: 'uvm-575',
      upstream:
        'open-gpu-kernel-modules up to 575.x: GPU registration and uvm_mem.c sysmem DMA as seed 000 shows them (Confidential Computing tested per GPU, CPU mappings decrypted under SEV: the 535-550 code), with the steps the seed leaves out as in 575.51.02',
      checkedAgainst:
        'read: kernel-open/nvidia-uvm of 575.51.02 (commit 41595798880394d9c6fa5e76b37ffc1bc428cfb2: uvm_va_space.c, uvm_va_space_mm.c, uvm_mem.c, uvm_gpu.c, uvm_va_range.c); where it differs from the seed the README says which is followed; no conformance run',
    },
  ],
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
