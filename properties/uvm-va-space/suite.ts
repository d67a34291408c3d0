// The UVM VA space's place in the suite: its specification, properties and seeded bugs.
import { uvmVaSpaceSpec, type VaSpaceState } from '../../model/uvm-va-space/index.js';
import type { SubsystemSuite } from '../harness/suite.js';
import { vaSpaceConcurrencyProperty, vaSpaceRaceMutants } from './concurrency.js';
import { registrationLifecycle, sysmemLifecycle } from './generators.js';
import { registrationLabels, sysmemLabels } from './labels.js';
import { vaSpaceMutants } from './mutants.js';

export const uvmVaSpaceSuite: SubsystemSuite<VaSpaceState> = {
  spec: uvmVaSpaceSpec,
  properties: [
    {
      name: 'registration',
      description: 'create, register and unregister GPUs (twice, mixed coherence, CC, NVLink peers), mm teardown, with faults at every registration step',
      source: '000_e4d5058719a42ede.txt § uvm_va_space_register_gpu; 003_af321b1ea2953044.txt § va_space_create',
      operations: registrationLifecycle,
      numRuns: 400,
      labels: registrationLabels,
    },
    {
      name: 'sysmemAllocation',
      description: 'sysmem DMA allocations on registered GPUs: boundary sizes and page sizes, CPU and GPU mappings, frees and unregistrations, with faults at every page and mapping step',
      source: '000_e4d5058719a42ede.txt § uvm_mem_alloc, mem_alloc_sysmem_dma_chunks, uvm_gpu_dma_alloc_page, mem_map_cpu_to_sysmem_kernel',
      operations: sysmemLifecycle,
      numRuns: 400,
      labels: sysmemLabels,
    },
    vaSpaceConcurrencyProperty,
  ],
  mutants: [...vaSpaceMutants, ...vaSpaceRaceMutants],
};
