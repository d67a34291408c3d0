// The two specified versions of the pool side by side: what each makes a buffer of, how many fallible steps a
// buffer takes (the generators aim their fault indices with these counts), and that a version is named exactly.
import { describe, expect, it } from 'vitest';
import { FaultPlan } from '../../model/common/faults.js';
import { DmaPoolModel, dmaPoolSpec, POOL_VERSION_NAMES, type PoolState } from '../../model/dma-pool/index.js';
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
