// The DMA staging-buffer pool's place in the suite: its specification, properties and seeded bugs.
import { dmaPoolSpec, type PoolState } from '../../model/dma-pool/index.js';
import type { SubsystemSuite } from '../harness/suite.js';
import { poolConcurrencyProperty, poolRaceMutants } from './concurrency.js';
import { poolLifecycle, trackerReuse } from './generators.js';
import { poolLabels, reuseLabels } from './labels.js';
import { poolMutants, reuseMutants } from './mutants.js';

export const dmaPoolSuite: SubsystemSuite<PoolState> = {
  spec: dmaPoolSpec,
  properties: [
    {
      name: 'poolLifecycle',
      description: 'init, alloc (with expansion), free with and without trackers, encrypt, sync, deinit, with faults injected anywhere',
      source: '000_e4d5058719a42ede.txt § uvm_conf_computing_dma_buffer_alloc, dma_buffer_pool_expand_locked, dma_buffer_create',
      operations: poolLifecycle,
      numRuns: 1000,
      labels: poolLabels,
    },
    {
      name: 'trackerReuse',
      description: "a buffer going round a small pool: freed with the caller's unfinished work (on other GPUs too), allocated again with its tracker steps failing",
      source: '000_e4d5058719a42ede.txt § uvm_conf_computing_dma_buffer_alloc, uvm_conf_computing_dma_buffer_free; uvm_tracker.c',
      operations: trackerReuse,
      numRuns: 300,
      labels: reuseLabels,
    },
    poolConcurrencyProperty,
  ],
  mutants: [...poolMutants, ...reuseMutants, ...poolRaceMutants],
};
