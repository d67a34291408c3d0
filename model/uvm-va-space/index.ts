// The UVM per-process VA space as a specification: GPU registration and the sysmem DMA allocations of its GPUs.
import type { SubsystemSpec } from '../common/spec.js';
import { vaSpaceInvariants } from './invariants.js';
import { UvmVaSpaceModel, vaSpaceSignatures } from './operations.js';
import { describeVaSpace, snapshotVaSpace, type VaSpaceState } from './state.js';

export const uvmVaSpaceSpec: SubsystemSpec<VaSpaceState> = {
  name: 'uvm-va-space',
  title: 'UVM VA space: GPU registration and sysmem DMA allocations',
  sources: ['000_e4d5058719a42ede.txt', '003_af321b1ea2953044.txt'],
  signatures: vaSpaceSignatures,
  invariants: vaSpaceInvariants,
  createModel: () => new UvmVaSpaceModel(),
  snapshot: snapshotVaSpace,
  describe: describeVaSpace,
};

export { UvmVaSpaceModel, vaSpaceSignatures } from './operations.js';
export { expectedMasks, processorMaskRelationsViolation } from './invariants.js';
export * from './state.js';
