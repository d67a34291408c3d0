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
  versions: [{ name: 'uvm-575', upstream: 'open-gpu-kernel-modules 550.x-575.x: the CC DMA staging buffer holds 4 KiB pages (uvm_conf_computing.c)', checkedAgainst: 'read against 575.51.02' }],
  sources: ['000_e4d5058719a42ede.txt'],
  signatures: { ...poolSignatures, ...poolTaskSignatures },
  invariants: concurrentPoolInvariants,
  createModel: () => new ConcurrentDmaPoolModel(),
  snapshot: snapshotConcurrentPool,
  describe: describeConcurrentPool,
};

export { DmaPoolModel } from './operations.js';
export { ConcurrentDmaPoolModel, LIST_HEAD, POOL_LOCK, type ConcurrentPoolState } from './concurrent.js';
export * from './state.js';
