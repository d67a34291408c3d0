import { describe, expect, it } from 'vitest';
import { FaultPlan } from '../../model/common/faults.js';
import type { Operation } from '../../model/common/values.js';
import { PAGE_SIZE } from '../../model/uvm-mem/sysmem.js';
import {
  expectedMasks,
  GPU_COUNT,
  GPUS,
  gpuProcBit,
  processorMaskRelationsViolation,
  UvmVaSpaceModel,
  type VaSpaceState,
} from '../../model/uvm-va-space/index.js';
import { defineSuiteTests } from '../harness/vitest-suite.js';
import { uvmVaSpaceSuite } from './suite.js';

defineSuiteTests(uvmVaSpaceSuite);

function run(ops: Operation[]): { state: VaSpaceState; results: ReturnType<UvmVaSpaceModel['apply']>[] } {
  const model = new UvmVaSpaceModel();
  const state = model.initialState();
  const results = ops.map((op) => (model.precondition(state, op) ? model.apply(state, op, new FaultPlan((op.args['faults'] as number[] | undefined) ?? [])) : { ok: false as const, error: 'SKIPPED' }));
  return { state, results };
}

const op = (name: string, args: Operation['args'] = {}): Operation => ({ op: name, args });

describe('uvm-va-space: examples', () => {
  it('the expected masks keep every relation va_space_check_processors_masks asserts, for every compatible GPU set', () => {
    for (let set = 0; set < 1 << GPU_COUNT; set++) {
      const gpus = GPUS.map((_, g) => g).filter((g) => set & (1 << g));
      if (new Set(gpus.map((g) => GPUS[g]?.coherent)).size > 1) continue;
      const registered = gpus.reduce((m, g) => m | gpuProcBit(g), 0);
      expect(processorMaskRelationsViolation(expectedMasks(registered), registered), `GPUs {${gpus.join(' ')}}`).toBeUndefined();
    }
  });

  it('registration error codes come in the kernel order', () => {
    const { results } = run([
      op('create', { sevEnabled: false, faults: [] }),
      op('registerGpu', { gpu: 0, faults: [] }),
      op('registerGpu', { gpu: 0, faults: [] }), // twice
      op('registerGpu', { gpu: 3, faults: [] }), // coherent next to non-coherent
      op('mmShutdown'),
      op('registerGpu', { gpu: 1, faults: [] }), // after teardown
      op('registerGpu', { gpu: 0, faults: [] }), // twice beats teardown
      op('unregisterGpu', { gpu: 0 }),
      op('unregisterGpu', { gpu: 0 }),
    ]);
    expect(results.map((r) => (r.ok ? 'OK' : r.error))).toEqual([
      'OK',
      'OK',
      'NV_ERR_INVALID_DEVICE',
      'NV_ERR_INVALID_DEVICE',
      'OK',
      'NV_ERR_PAGE_TABLE_NOT_AVAIL',
      'NV_ERR_INVALID_DEVICE',
      'OK',
      'NV_ERR_INVALID_DEVICE',
    ]);
  });

  it('a CC GPU loses direct sysmem access but can still copy from the CPU', () => {
    const { state } = run([op('create', { sevEnabled: true, faults: [] }), op('registerGpu', { gpu: 2, faults: [] })]);
    expect(state.canAccess[3]).toBe(gpuProcBit(2)); // only itself
    expect(state.canCopyFrom[3]! & 1).toBe(1);
    expect(state.unregisterDmaBuffer[2]).toBe(true);
  });

  it('sizes are aligned up to whole pages; a size within a page of 2^64 is refused, 2^64 - 4096 runs out of DMA memory', () => {
    const { state, results } = run([
      op('create', { sevEnabled: true, faults: [] }),
      op('registerGpu', { gpu: 0, faults: [] }),
      op('memAlloc', { owner: 0, size: PAGE_SIZE + 1n, pageSize: 'default', faults: [] }),
      op('memAlloc', { owner: 0, size: (1n << 64n) - 4095n, pageSize: 'default', faults: [] }),
      op('memAlloc', { owner: 0, size: (1n << 64n) - 4096n, pageSize: 'default', faults: [] }),
      op('memAlloc', { owner: 0, size: 0n, pageSize: 'default', faults: [] }),
      op('memAlloc', { owner: 0, size: 1n, pageSize: '64K', faults: [] }),
      op('memAlloc', { owner: 1, size: 1n, pageSize: 'default', faults: [] }),
    ]);
    expect(results.slice(2).map((r) => (r.ok ? 'OK' : r.error))).toEqual([
      'OK',
      'NV_ERR_INVALID_ARGUMENT',
      'NV_ERR_NO_MEMORY',
      'NV_ERR_INVALID_ARGUMENT',
      'NV_ERR_INVALID_ARGUMENT',
      'NV_ERR_INVALID_DEVICE',
    ]);
    expect([...state.mem.mems.values()].map((m) => m.chunks)).toEqual([2n]);
    expect(state.mem.mappedCpuPagesSize[0]).toBe(2n * PAGE_SIZE);
  });

  it('mapping on another GPU goes through the IOMMU and is counted there; free undoes every mapping', () => {
    const { state } = run([
      op('create', { sevEnabled: true, faults: [] }),
      op('registerGpu', { gpu: 0, faults: [] }),
      op('registerGpu', { gpu: 2, faults: [] }),
      op('memAllocAndMapCpu', { owner: 0, size: 3n * PAGE_SIZE, faults: [] }),
      op('memMapGpu', { slot: 0, gpu: 2, faults: [] }),
      op('memMapGpu', { slot: 0, gpu: 0, faults: [] }),
    ]);
    expect(state.mem.mappedCpuPagesSize).toEqual([3n * PAGE_SIZE, 0n, 3n * PAGE_SIZE, 0n, 0n]);
    expect(state.mem.cpuVmaps).toEqual([{ mem: 1, decrypted: true }]);
    const model = new UvmVaSpaceModel();
    model.apply(state, op('memFree', { slot: 0 }), new FaultPlan());
    expect(state.mem.mappedCpuPagesSize).toEqual([0n, 0n, 0n, 0n, 0n]);
    expect(state.mem.gpuKernelPtes.flat()).toEqual([]);
    expect(state.mem.iommuMappings.flat()).toEqual([]);
    expect(state.mem.cpuVmaps).toEqual([]);
  });
});
