import { describe, expect, it } from 'vitest';
import { FaultPlan } from '../../model/common/faults.js';
import type { Operation } from '../../model/common/values.js';
import { PAGE_SIZE } from '../../model/uvm-mem/index.js';
import {
  expectedMasks,
  GPU_COUNT,
  GPUS,
  gpuProcBit,
  processorMaskRelationsViolation,
  UvmVaSpaceModel,
  type VaSpaceState,
} from '../../model/uvm-va-space/index.js';
import { execute } from '../harness/interpreter.js';
import { defineSuiteTests } from '../harness/vitest-suite.js';
import { uvmVaSpaceSuite } from './suite.js';

defineSuiteTests(uvmVaSpaceSuite);

function run(ops: Operation[]): { state: VaSpaceState; results: ReturnType<UvmVaSpaceModel['apply']>[] } {
  // Not checked here: some examples build states only to look at them.
  const { steps, state } = execute(uvmVaSpaceSuite.spec, new UvmVaSpaceModel(), ops, { invariants: [] });
  return { state, results: steps.map((s) => s.result ?? { ok: false as const, error: 'SKIPPED' }) };
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

describe('uvm-va-space: the machine, the preconditions and the failing steps', () => {
  it('registering each GPU alone sets what the machine table of the README says', () => {
    // gpu: [faultable, has_nvlink with the CPU, can access sysmem, CPU can access its memory, access-counter reference]
    const table: readonly [boolean, boolean, boolean, boolean, number][] = [
      [true, false, true, false, 0],
      [true, true, true, false, 1],
      [true, false, false, false, 0],
      [true, true, true, true, 1],
      [false, true, true, true, 0],
    ];
    table.forEach(([faultable, nvlink, sysmem, cpuAccess, counters], g) => {
      const { state, results } = run([op('create', { sevEnabled: false, faults: [] }), op('registerGpu', { gpu: g, faults: [] })]);
      expect(results[1], `gpu${g}`).toEqual({ ok: true });
      const p = g + 1;
      const bit = gpuProcBit(g);
      expect([(state.faultable & bit) !== 0, (state.hasNvlink[p]! & 1) !== 0, (state.canAccess[p]! & 1) !== 0, (state.canAccess[0]! & bit) !== 0, state.accessCounterRefs[g]], `gpu${g}`).toEqual([
        faultable,
        nvlink,
        sysmem,
        cpuAccess,
        counters,
      ]);
    });
  });

  it('coherent gpu4 is refused next to a non-coherent GPU; gpu3 and gpu4 enable their NVLink peer pair', () => {
    const mixed = run([op('create', { sevEnabled: false, faults: [] }), op('registerGpu', { gpu: 0, faults: [] }), op('registerGpu', { gpu: 4, faults: [] })]);
    expect(mixed.results[2]).toEqual({ ok: false, error: 'NV_ERR_INVALID_DEVICE' });
    const pair = run([op('create', { sevEnabled: false, faults: [] }), op('registerGpu', { gpu: 3, faults: [] }), op('registerGpu', { gpu: 4, faults: [] })]);
    expect(pair.results[2]).toEqual({ ok: true });
    expect(pair.state.enabledPeers).not.toBe(0);
    expect(pair.state.canAccess[4]! & gpuProcBit(4)).not.toBe(0);
  });

  it('nothing applies before create; a second mm shutdown and allocation calls without an allocation are not applied', () => {
    const model = new UvmVaSpaceModel();
    const fresh = model.initialState();
    expect(model.precondition(fresh, op('registerGpu', { gpu: 0, faults: [] }))).toBe(false);
    const { state } = run([op('create', { sevEnabled: false, faults: [] }), op('mmShutdown')]);
    expect(model.precondition(state, op('mmShutdown'))).toBe(false);
    for (const name of ['memMapCpu', 'memUnmapCpu', 'memMapGpu', 'memUnmapGpu', 'memUnmapGpuPhys', 'memFree']) expect(model.precondition(state, op(name, { slot: 0, gpu: 0, faults: [] })), name).toBe(false);
  });

  it('registering again a GPU that owns an allocation is refused by the kernel (NV_ERR_INVALID_DEVICE), not by the precondition', () => {
    const { results } = run([
      op('create', { sevEnabled: false, faults: [] }),
      op('registerGpu', { gpu: 0, faults: [] }),
      op('memAlloc', { owner: 0, size: PAGE_SIZE, pageSize: 'default', faults: [] }),
      op('registerGpu', { gpu: 0, faults: [] }),
    ]);
    expect(results[3]).toEqual({ ok: false, error: 'NV_ERR_INVALID_DEVICE' });
  });

  it("each of create's four fallible steps fails it with NV_ERR_NO_MEMORY and leaves no VA space; a fifth index fails nothing", () => {
    for (const k of [0, 1, 2, 3]) {
      const { state, results } = run([op('create', { sevEnabled: false, faults: [k] })]);
      expect(results[0], `step ${k}`).toEqual({ ok: false, error: 'NV_ERR_NO_MEMORY' });
      expect(state.created).toBe(false);
    }
    expect(run([op('create', { sevEnabled: false, faults: [4] })]).results[0]).toEqual({ ok: true });
  });
});
