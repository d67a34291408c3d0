// The nvgrace-gpu driver's place in the suite: its specification, properties and seeded bugs.
import { nvgraceGpuSpec, type NvgraceState } from '../../model/nvgrace-gpu/index.js';
import type { SubsystemSuite } from '../harness/suite.js';
import { nvgraceLifecycle } from './generators.js';
import { nvgraceLabels } from './labels.js';
import { nvgraceMutants } from './mutants.js';

export const nvgraceGpuSuite: SubsystemSuite<NvgraceState> = {
  spec: nvgraceGpuSpec,
  properties: [
    {
      name: 'nvgraceLifecycle',
      description:
        'probe with any device memory size, then region reads and writes at the memory and BAR boundaries, config-space BAR emulation, mmap and reset',
      source: '001_d5d5d944b120b211.txt § fake BARs, ~0 reads and dropped writes, BAR emulation, resmem / usemem',
      operations: nvgraceLifecycle,
      numRuns: 400,
      labels: nvgraceLabels,
    },
  ],
  mutants: nvgraceMutants,
};
