// The CC DMA staging-buffer pool as a specification: state, operations, invariants.
import type { SubsystemSpec } from '../common/spec.js';
import { poolInvariants } from './invariants.js';
import { DmaPoolModel, poolSignatures } from './operations.js';
import { describePool, snapshotPool, type PoolState } from './state.js';

export const dmaPoolSpec: SubsystemSpec<PoolState> = {
  name: 'dma-pool',
  title: 'UVM Confidential-Computing DMA staging-buffer pool',
  sources: ['000_e4d5058719a42ede.txt'],
  signatures: poolSignatures,
  invariants: poolInvariants,
  createModel: () => new DmaPoolModel(),
  snapshot: snapshotPool,
  describe: describePool,
};

export { DmaPoolModel } from './operations.js';
export * from './state.js';
