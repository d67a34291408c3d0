// HMM migration, eviction and maquire in the suite: the specification, its properties and its seeded bugs.
import { hmmMigrationSpec, type HmmState } from '../../model/hmm-migration/index.js';
import type { SubsystemSuite } from '../harness/suite.js';
import { evictionCycle, hmmLifecycle, maquireSession, protectionCycle } from './generators.js';
import { evictionCycleLabels, hmmLifecycleLabels, maquireSessionLabels, protectionCycleLabels } from './labels.js';
import { hmmMutants } from './mutants.js';

const SOURCE = '003_af321b1ea2953044.txt';

export const hmmMigrationSuite: SubsystemSuite<HmmState> = {
  spec: hmmMigrationSpec,
  properties: [
    {
      name: 'hmmLifecycle',
      description: 'CPU and GPU reads and writes, mprotect, migrate_vma both ways, chunk eviction and maquire, with faults in any migration phase',
      source: `${SOURCE} § page 迁移 (nv_migrate_vma), dmirror_device_evict_chunk, SYSCALL_DEFINE3(maquire)`,
      operations: hmmLifecycle,
      numRuns: 1000,
      labels: hmmLifecycleLabels,
    },
    {
      name: 'maquireSession',
      description: 'GPUs cache pages and the CPU dirties them; maquire with arguments across the u64 range, biased to the pages and the top of the address space',
      source: `${SOURCE} § SYSCALL_DEFINE3(maquire)`,
      operations: maquireSession,
      numRuns: 600,
      labels: maquireSessionLabels,
    },
    {
      name: 'evictionCycle',
      description: 'pages migrated to the device, written and re-protected there, then their chunk evicted',
      source: `${SOURCE} § dmirror_device_evict_chunk`,
      operations: evictionCycle,
      numRuns: 400,
      labels: evictionCycleLabels,
    },
    {
      name: 'protectionCycle',
      description: 'pages re-protected in system memory and on the device, migrated both ways, stored to and loaded by the CPU and both GPUs, evicted',
      source: `${SOURCE} § page 迁移 (MIGRATE_PFN_WRITE), dmirror_device_evict_chunk; upstream mm/mprotect.c, lib/test_hmm.c dmirror_fault`,
      operations: protectionCycle,
      numRuns: 300,
      labels: protectionCycleLabels,
    },
  ],
  mutants: hmmMutants,
};
