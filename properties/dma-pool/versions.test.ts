// The two specified versions of the pool side by side: what each makes a buffer of, how many fallible steps a
// buffer takes (the generators aim their fault indices with these counts), and that a version is named exactly.
import { describe, expect, it } from 'vitest';
import { FaultPlan } from '../../model/common/faults.js';
import { makeOp } from '../../model/common/schema.js';
import type { Invariant } from '../../model/common/spec.js';
import { AUTH_TAGS_SIZE, DMA_BUFFER_SIZE, DmaPoolModel, dmaPoolSpec, POOL_DMA_PAGES, POOL_VERSION_NAMES, snapshotPool, type PoolState } from '../../model/dma-pool/index.js';
import { poolSignatures } from '../../model/dma-pool/operations.js';
import { PAGE_SIZE } from '../../model/uvm-mem/index.js';
import { findSuite } from '../harness/registry.js';
import { poolReference } from '../../model/dma-pool/concurrent.js';
import { FALLIBLE_STEPS_PER_BUFFER_575, FALLIBLE_STEPS_PER_BUFFER_580 } from './generators.js';

const init = (count: number) => ({ op: 'init', args: { count, faults: [] } });

function poolOf(version: string, count: number): { state: PoolState; asked: number } {
  const model = new DmaPoolModel(version);
  const state = model.initialState();
  const plan = new FaultPlan();
  expect(model.apply(state, init(count), plan).ok).toBe(true);
  return { state, asked: plan.asked };
}

describe('dma-pool versions', () => {
  it('the default version is the current upstream (uvm-580), and the spec lists both', () => {
    expect(dmaPoolSpec.versions.map((v) => v.name)).toEqual([...POOL_VERSION_NAMES]);
    expect(new DmaPoolModel().rules.name).toBe('uvm-580');
    expect(() => new DmaPoolModel('uvm-999')).toThrow(/unknown dma-pool specification version "uvm-999" \(known: uvm-580, uvm-575\)/);
  });

  it('uvm-580 makes the staging buffer of one 2 MiB chunk, uvm-575 of 512 pages; both account 2 MiB + 8 KiB', () => {
    const chunks = (version: string) => {
      const { state } = poolOf(version, 1);
      return [...state.sysmem.mems.values()].map((m) => [m.size, m.chunkSize, m.chunks]);
    };
    expect(chunks('uvm-580')).toEqual([
      [0x200000n, 0x200000n, 1n],
      [0x2000n, 0x1000n, 2n],
    ]);
    expect(chunks('uvm-575')).toEqual([
      [0x200000n, 0x1000n, 512n],
      [0x2000n, 0x1000n, 2n],
    ]);
    for (const version of POOL_VERSION_NAMES) expect(poolOf(version, 1).state.sysmem.mappedCpuPagesSize).toEqual([0x202000n]);
  });

  it("a buffer takes the fallible steps the generators count with (14 in uvm-580, 525 in uvm-575)", () => {
    expect(poolOf('uvm-580', 3).asked).toBe(3 * FALLIBLE_STEPS_PER_BUFFER_580);
    expect(poolOf('uvm-575', 3).asked).toBe(3 * FALLIBLE_STEPS_PER_BUFFER_575);
  });

  it("linearizability's reference re-runs the sequential specification of the state's own version", () => {
    const reference = poolReference.model();
    expect(reference.initialState().version).toBe('uvm-580');
    for (const version of POOL_VERSION_NAMES) {
      const state = new DmaPoolModel(version).initialState();
      const plan = new FaultPlan();
      expect(reference.precondition(state, init(2))).toBe(true);
      reference.apply(state, init(2), plan);
      expect(plan.asked).toBe(2 * (version === 'uvm-580' ? FALLIBLE_STEPS_PER_BUFFER_580 : FALLIBLE_STEPS_PER_BUFFER_575));
    }
  });
});

describe('dma-pool: the machine runs out of coherent DMA memory (POOL_DMA_PAGES)', () => {
  // 64 buffers, then allocations until the pool has doubled to 1024 and must double again: 2048 buffers with their
  // tags need more than the machine's pages, so that expansion stops when the memory does and keeps what it made;
  // once every buffer is held, the next allocation makes none and fails with NV_ERR_NO_MEMORY though no step was
  // made to fail. (Every invariant holds on this case and on its frees, sync and deinit after it, on both versions,
  // but checking them after each of two thousand steps on two thousand buffers takes most of a minute: the
  // invariants that a machine running out concerns are held to it below, on the steps where it happens.)
  const suite = findSuite('dma-pool') as NonNullable<ReturnType<typeof findSuite>>;
  const bufferPages = (DMA_BUFFER_SIZE + AUTH_TAGS_SIZE) / PAGE_SIZE;
  const fits = Number(POOL_DMA_PAGES / bufferPages);
  const init = makeOp(poolSignatures, 'init', { count: 64, faults: [] });
  const alloc = makeOp(poolSignatures, 'alloc', { outTracker: false, faults: [] });
  const invariant = (name: string) => suite.spec.invariants.find((i) => i.name === name) as Invariant<PoolState>;

  it.each([...POOL_VERSION_NAMES])('%s: the expansion from 1024 buffers is cut short, and an allocation past the last buffer fails', (version) => {
    const model = new DmaPoolModel(version);
    const state = model.initialState();
    expect(model.apply(state, init, new FaultPlan()).ok).toBe(true);
    for (let held = 0; held < fits; held++) {
      const before = state.free.length === 0 ? snapshotPool(state) : undefined; // an expansion is due
      const plan = new FaultPlan();
      const result = model.apply(state, alloc, plan);
      expect(result.ok, `allocation ${held + 1}`).toBe(true);
      if (before === undefined) continue;
      // Each expansion, the last one cut short included, is one expansionAtMostDoubles accepts.
      const step = { before, after: state, op: alloc, result, faults: plan.failures };
      expect(invariant('expansionAtMostDoubles').check(step), `expansion at ${before.numDmaBuffers}`).toBeUndefined();
    }
    expect(state.numDmaBuffers).toBe(fits);
    expect(state.sysmem.dmaPagesTotal).toBe(POOL_DMA_PAGES);
    expect(state.sysmem.dmaPagesFree).toBe(POOL_DMA_PAGES % bufferPages);

    const before = snapshotPool(state);
    const plan = new FaultPlan();
    const result = model.apply(state, alloc, plan);
    expect(result).toEqual({ ok: false, error: 'NV_ERR_NO_MEMORY' });
    expect(plan.failures).toEqual([]);
    const step = { before, after: state, op: alloc, result, faults: plan.failures };
    for (const name of ['failureReportsTheFailedStep', 'failedExpansionLeavesPoolAsItWas', 'failedOperationHandsOutNothing', 'expansionAtMostDoubles', 'numDmaBuffersCountsEveryBuffer', 'mappedCpuPagesSizeIsExact'])
      expect(invariant(name).check(step), name).toBeUndefined();
  });

  it('a failure with no step failed, or an expansion short of double, is the machine running out only with less than a buffer left', () => {
    const model = new DmaPoolModel();
    const state = model.initialState();
    model.apply(state, init, new FaultPlan());
    const before = snapshotPool(state);
    before.free = [];
    const after = snapshotPool(before);
    after.numDmaBuffers = 100; // an expansion from 64 that stopped short of 128
    for (const [left, holds] of [[bufferPages - 1n, true], [bufferPages, false]] as const) {
      after.sysmem.dmaPagesFree = left;
      const failed = { before, after, op: alloc, result: { ok: false as const, error: 'NV_ERR_NO_MEMORY' }, faults: [] };
      const short = { before, after, op: alloc, result: { ok: true as const }, faults: [] };
      expect(invariant('failureReportsTheFailedStep').check(failed) === undefined, `${left} pages left`).toBe(holds);
      expect(invariant('expansionAtMostDoubles').check(short) === undefined, `${left} pages left`).toBe(holds);
    }
  });
});
