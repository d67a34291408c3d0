import { describe, expect, it } from 'vitest';
import type { Result } from '../../model/common/result.js';
import type { Operation } from '../../model/common/values.js';
import { NvgraceGpuModel, type NvgraceState } from '../../model/nvgrace-gpu/index.js';
import { execute } from '../harness/interpreter.js';
import { search } from '../harness/search.js';
import { seedFromEnvironment } from '../harness/seed.js';
import { mutantTarget } from '../harness/targets.js';
import { formatTrace } from '../harness/trace.js';
import { defineSuiteTests } from '../harness/vitest-suite.js';
import { nvgraceGpuSuite } from './suite.js';

defineSuiteTests(nvgraceGpuSuite);

const GiB = 1n << 30n;
const op = (name: string, args: Operation['args'] = {}): Operation => ({ op: name, args });

/** Runs a list of operations on the specification (of a version), asserts every invariant held, returns the results. */
function run(ops: Operation[], version?: string): { state: NvgraceState; results: Result[] } {
  const checked = execute(nvgraceGpuSuite.spec, new NvgraceGpuModel(version), ops, { trace: true });
  expect(checked.violation, formatTrace(checked)).toBeUndefined();
  const results = checked.steps.map((s): Result => s.result ?? { ok: false, error: 'skipped' });
  return { state: checked.state, results };
}

describe('nvgrace-gpu: worked examples', () => {
  it('carves a 96 GiB + 0x1234 device into a memblock-aligned usemem and a resmem of 1 GiB plus the rest', () => {
    const { state } = run([op('probe', { memphys: 0x4000_0000_0000n, memlength: 96n * GiB + 0x1234n })]);
    expect(state.usemem?.memlength).toBe(95n * GiB);
    expect(state.resmem?.memlength).toBe(GiB + 0x1234n);
    expect(state.resmem?.memphys).toBe(0x4000_0000_0000n + 95n * GiB);
    expect(state.usemem?.barSize).toBe(128n * GiB);
    expect(state.resmem?.barSize).toBe(2n * GiB);
  });

  it('sizes the usemem BAR before the MEMBLK_SIZE round-down since 6a9eb2d125ba, after it before', () => {
    const probe = op('probe', { memphys: 0n, memlength: 0x6000_0001n });
    const now = run([probe]).state;
    const before = run([probe], 'before-6a9eb2d').state;
    expect(now.version).toBe('linux-6a9eb2d');
    expect([now.usemem?.memlength, now.usemem?.barSize]).toEqual([512n << 20n, GiB]);
    expect([before.usemem?.memlength, before.usemem?.barSize]).toEqual([512n << 20n, 512n << 20n]);
    expect([now.resmem?.barSize, before.resmem?.barSize]).toEqual([2n * GiB, 2n * GiB]);
  });

  it('takes the region from the file position: past 2^40 is the next region index, not an error', () => {
    const T = 1n << 40n;
    const { results } = run([
      op('probe', { memphys: 0n, memlength: 2n * GiB }), // usemem 1 GiB at BAR4, resmem 1 GiB at BAR2
      op('write', { bar: 'BAR4', offset: 0x100n, count: 2n, seed: 0x40, faults: [] }),
      op('read', { bar: 'BAR2', offset: 2n * T + 0x100n, count: 2n, faults: [] }), // index 4: usemem at 0x100
      op('read', { bar: 'BAR2', offset: T, count: 4n, faults: [] }), // index 3: BAR3, vfio-pci-core's
      op('read', { bar: 'BAR2', offset: T, count: 0n, faults: [] }),
      op('cfgWrite', { offset: 0x20, count: 4, value: 0xffff_ffffn }),
      op('read', { bar: 'BAR4', offset: 3n * T + 0x20n, count: 4n, faults: [] }), // index 7: config space
      op('write', { bar: 'BAR4', offset: 5n * T, count: 1n, seed: 0, faults: [] }), // index 9: past the last region
      op('mmap', { bar: 'BAR2', pgoff: 1n << 29n, length: 4096n }), // vm_pgoff index 4: usemem page 0
      op('mmap', { bar: 'BAR4', pgoff: 1n << 28n, length: 4096n }), // index 5: vfio-pci-core's
    ]);
    expect(results.slice(2)).toEqual([
      { ok: true, value: { count: 2n, data: '4041' } },
      { ok: true, value: { vfioPciCore: 3 } },
      { ok: true, value: { count: 0n } },
      { ok: true, value: 4 },
      { ok: true, value: { count: 4n, data: '0c0000c0' } },
      { ok: false, error: '-EINVAL' },
      { ok: true },
      { ok: true, value: { vfioPciCore: 5 } },
    ]);
  });

  it('refuses sizes the driver refuses and falls back to vfio-pci-core without device memory', () => {
    const probe = (memlength: bigint) => run([op('probe', { memphys: 0n, memlength })]).results[0];
    expect(probe(0n)).toEqual({ ok: true, value: 'vfio-pci-core' });
    expect(probe(GiB - 1n)).toEqual({ ok: false, error: '-EOVERFLOW' });
    expect(probe(GiB + (GiB >> 1n) - 1n)).toEqual({ ok: false, error: '-EINVAL' });
    expect(probe(GiB + (GiB >> 1n))).toEqual({ ok: true, value: 'nvgrace' });
  });

  it('sizes a fake BAR through config space: all ones in, size mask with the 64-bit prefetchable flags out', () => {
    const { results } = run([
      op('probe', { memphys: 0n, memlength: 2n * GiB }),
      op('cfgWrite', { offset: 0x18, count: 4, value: 0xffff_ffffn }),
      op('cfgWrite', { offset: 0x1c, count: 4, value: 0xffff_ffffn }),
      op('cfgRead', { offset: 0x18, count: 4 }),
      op('cfgRead', { offset: 0x1c, count: 4 }),
      op('cfgRead', { offset: 0x18, count: 1 }),
      op('cfgRead', { offset: 0x1b, count: 1 }),
    ]);
    // 2 GiB of device memory: usemem 1 GiB, resmem 1 GiB -> a 1 GiB BAR2.
    expect(results.slice(3)).toEqual([
      { ok: true, value: 0xc000_000cn },
      { ok: true, value: 0xffff_ffffn },
      { ok: true, value: 0x0cn },
      { ok: true, value: 0xc0n },
    ]);
  });

  it('reads ~0 and drops writes between the end of device memory and the end of the BAR', () => {
    const end = GiB + 0x10n; // resmem of a 1.5 GiB + 0x10 device
    const { results, state } = run([
      op('probe', { memphys: 0n, memlength: GiB + (GiB >> 1n) + 0x10n }),
      op('write', { bar: 'BAR2', offset: end - 2n, count: 4n, seed: 0x10, faults: [] }),
      op('read', { bar: 'BAR2', offset: end - 2n, count: 4n, faults: [] }),
      op('read', { bar: 'BAR2', offset: 2n * GiB, count: 1n, faults: [] }),
      op('read', { bar: 'BAR2', offset: 2n * GiB - 1n, count: 8n, faults: [] }),
    ]);
    expect(results[1]).toEqual({ ok: true, value: { count: 4n } });
    expect(results[2]).toEqual({ ok: true, value: { count: 4n, data: '1011ffff' } });
    expect(results[3]).toEqual({ ok: false, error: '-EINVAL' });
    expect(results[4]).toEqual({ ok: true, value: { count: 1n, data: 'ff' } });
    expect(state.resmem?.writes).toEqual([{ start: end - 2n, end, seed: 0x10 }]);
  });

  it('serves a write that straddles into a BAR register short, as the driver does', () => {
    const { results, state } = run([
      op('probe', { memphys: 0n, memlength: 2n * GiB }),
      op('cfgWrite', { offset: 0x16, count: 4, value: 0xaabb_ccddn }),
    ]);
    expect(results[1]).toEqual({ ok: true, value: 2 });
    expect(state.resmem?.barVal).toBe(0xaabbn);
    expect(state.config.size).toBe(0);
  });

  it('maps resmem write-combining and usemem cacheable, and never past device memory', () => {
    const { results, state } = run([
      op('probe', { memphys: 0x4000_0000_0000n, memlength: 2n * GiB + 0x1000n }),
      op('mmap', { bar: 'BAR4', pgoff: 0n, length: GiB }),
      op('mmap', { bar: 'BAR2', pgoff: 0n, length: GiB + 0x1000n }),
      op('mmap', { bar: 'BAR2', pgoff: 0n, length: GiB + 0x2000n }),
    ]);
    expect(results.slice(1)).toEqual([{ ok: true }, { ok: true }, { ok: false, error: '-EINVAL' }]);
    expect(state.mappings.map((m) => m.pgprot)).toEqual(['normal', 'normal-nc']);
  });
});

describe('nvgrace-gpu: an off-by-one at the end of device memory shrinks to the boundary', () => {
  for (const name of ['readOneBytePastMemory', 'writeOneBytePastMemory']) {
    it(name, async () => {
      const mutant = nvgraceGpuSuite.mutants.find((m) => m.name === name);
      const property = nvgraceGpuSuite.properties[0];
      const target = mutantTarget(nvgraceGpuSuite, name);
      if (mutant === undefined || property === undefined || target === undefined) return expect.fail('unknown mutant');
      const outcome = await search(nvgraceGpuSuite, property, target, { seed: seedFromEnvironment(), runs: property.numRuns, invariants: [mutant.breaks] });
      const ops = outcome.failure?.operations ?? [];
      expect(ops.length).toBeLessThanOrEqual(3);
      const probed = execute(nvgraceGpuSuite.spec, new NvgraceGpuModel(), ops.slice(0, 1));
      expect(probed.steps[0]?.result?.ok).toBe(true);
      const state = probed.state;
      const access = ops[ops.length - 1] as Operation;
      const region = access.args['bar'] === 'BAR2' ? state.resmem : state.usemem;
      // The access starts on the last byte of device memory or on the first byte after it.
      const end = region?.memlength ?? 0n;
      expect([end - 1n, end]).toContain(access.args['offset']);
    });
  }
});
