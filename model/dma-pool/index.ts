// The CC DMA staging-buffer pool as a specification: state, operations, invariants. The operations run either
// one at a time or as tasks on several threads (concurrent.ts); the sequential invariants hold at every
// quiescent point and concurrent histories are linearizable.
import type { SubsystemSpec } from '../common/spec.js';
import { concurrentPoolInvariants, ConcurrentDmaPoolModel, describeConcurrentPool, poolTaskSignatures, snapshotConcurrentPool } from './concurrent.js';
import { poolSignatures } from './operations.js';
import type { PoolState } from './state.js';

export const dmaPoolSpec: SubsystemSpec<PoolState> = {
  name: 'dma-pool',
  title: 'UVM Confidential-Computing DMA staging-buffer pool',
  versions: [
    {
      name: 'uvm-580',
      upstream:
        'open-gpu-kernel-modules 580.65.06-595.45.04: the staging buffer is one 2 MiB DMA chunk (uvm_conf_computing.c dma_buffer_alloc, uvm_mem.c, uvm_gpu.c uvm_gpu_dma_alloc)',
      checkedAgainst:
        '580.65.06 and 595.45.04, read (uvm_conf_computing.c, uvm_mem.c, uvm_gpu.c, uvm_tracker.c); the pool code compared and identical in 580.142 and 590.44.01',
    },
    {
      name: 'uvm-575',
      upstream: 'open-gpu-kernel-modules 550.40.07-575.64.05: the staging buffer is 512 DMA pages of 4 KiB (uvm_conf_computing.c dma_buffer_create, uvm_mem.c)',
      checkedAgainst:
        '575.51.02, read (uvm_conf_computing.c, uvm_mem.c, uvm_gpu.c, uvm_tracker.c); the pool code compared and identical in 550.40.07, 555.42.02, 560.28.03, 565.57.01, 570.86.15 and 575.64.05; the C port examples/dma-pool conforms to this version',
    },
  ],
  sources: ['000_e4d5058719a42ede.txt'],
  signatures: { ...poolSignatures, ...poolTaskSignatures },
  invariants: concurrentPoolInvariants,
  createModel: (version?: string) => new ConcurrentDmaPoolModel(version),
  snapshot: snapshotConcurrentPool,
  describe: describeConcurrentPool,
};

export { DmaPoolModel, poolMemRules } from './operations.js';
export { ConcurrentDmaPoolModel, LIST_HEAD, POOL_LOCK, type ConcurrentPoolState } from './concurrent.js';
export * from './state.js';
export * from './versions.js';
