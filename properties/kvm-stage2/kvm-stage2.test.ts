import { describe, expect, it } from 'vitest';
import { combineStages, decideStage2Fault, isReachable, KvmStage2Model, type FaultInput } from '../../model/kvm-stage2/index.js';
import { FAULT_TABLE, MEMSLOT_TABLE, tableRowsOf } from '../../model/kvm-stage2/invariants.js';
import { nvgraceHostVma } from '../../model/nvgrace-gpu/host-mapping.js';
import { FaultPlan } from '../../model/common/faults.js';
import type { Operation } from '../../model/common/values.js';
import { execute } from '../harness/interpreter.js';
import { formatTrace } from '../harness/trace.js';
import { defineSuiteTests } from '../harness/vitest-suite.js';
import { kvmStage2Suite } from './suite.js';

defineSuiteTests(kvmStage2Suite);

const bools = [false, true] as const;
const memTypes = ['normal', 'normal-nc', 'device'] as const;
const accesses = ['read', 'write', 'exec'] as const;
const guestAttrs = ['normal-wb', 'normal-nc', 'device'] as const;

/** Every input of every operation: the whole (reachable) input space of the decision. */
function everyOperation(): { fault: Operation[]; memslot: Operation[]; nvgraceFault: Operation[] } {
  const fault: Operation[] = [];
  const memslot: Operation[] = [];
  const nvgraceFault: Operation[] = [];
  for (const fwb of bools)
    for (const dic of bools)
      for (const vmMte of bools) {
        for (const pfnmap of bools)
          for (const io of bools)
            for (const allowAnyUncached of bools)
              for (const mteAllowed of bools)
                for (const pgprot of memTypes) {
                  const vma = { pfnmap, io, allowAnyUncached, mteAllowed, pgprot };
                  memslot.push({ op: 'memslot', args: { ...vma, fwb, dic, vmMte } });
                  for (const pfn of ['ram', 'devmem', 'mmio'] as const) {
                    if (!isReachable({ pfn, vma: { pgprot, flags: { pfnmap, io, allowAnyUncached, mteAllowed } } })) continue;
                    for (const access of accesses)
                      for (const guestS1 of guestAttrs) fault.push({ op: 'fault', args: { pfn, ...vma, fwb, dic, vmMte, access, guestS1 } });
                  }
                }
        for (const region of ['usemem', 'resmem'] as const)
          for (const access of accesses)
            for (const guestS1 of guestAttrs) nvgraceFault.push({ op: 'nvgraceFault', args: { region, fwb, dic, vmMte, access, guestS1 } });
      }
  return { fault, memslot, nvgraceFault };
}

describe('kvm-stage2: the whole input space, exhaustively', () => {
  const all = everyOperation();
  const ops = [...all.fault, ...all.memslot, ...all.nvgraceFault];

  it('covers every reachable combination: 5184 faults, 384 memslots, 144 nvgrace-gpu faults', () => {
    // Host: FWB x DIC x VM MTE = 8. VMA: PFNMAP x IO x ALLOW_ANY_UNCACHED x MTE_ALLOWED x pgprot = 48.
    // Faults: RAM behind any of the 48 VMAs, devmem and MMIO behind the 12 PFNMAP VMAs without MTE_ALLOWED,
    // so 72 (pfn, VMA) pairs, x 3 access kinds x 3 guest stage-1 attributes x 8 hosts = 5184.
    expect(all.fault.length).toBe(5184);
    expect(all.memslot.length).toBe(48 * 8);
    expect(all.nvgraceFault.length).toBe(2 * 3 * 3 * 8);
  });

  it('every invariant holds on every combination', () => {
    const outcomes = new Map<string, number>();
    for (const op of ops) {
      const run = execute(kvmStage2Suite.spec, kvmStage2Suite.spec.createModel(), [op], { trace: true });
      if (run.violation !== undefined) expect.fail(formatTrace(run));
      const result = run.steps[0]?.result;
      const key = `${op.op}: ${result?.ok ? `OK ${String((result.value as { s2?: string } | undefined)?.s2 ?? '')}` : result?.error}`;
      outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
    }
    expect([...outcomes.values()].reduce((a, b) => a + b, 0)).toBe(5184 + 384 + 144);
    // Every outcome the decision can have is reached somewhere in the space. An nvgrace-gpu region never gets the
    // fault path's -EFAULT: memslot creation already refuses (-EINVAL) what that check would refuse.
    expect([...outcomes.keys()].sort()).toEqual([
      'fault: -EFAULT',
      'fault: -ENOEXEC',
      'fault: OK device',
      'fault: OK normal',
      'fault: OK normal-nc',
      'memslot: -EINVAL',
      'memslot: OK ',
      'nvgraceFault: -EINVAL',
      'nvgraceFault: -ENOEXEC',
      'nvgraceFault: OK normal',
      'nvgraceFault: OK normal-nc',
    ]);
  });

  // The seeded bugs of the effect rules: two outcomes that both look safe (Device vs Normal-NC), a missing exec
  // permission, a memslot refused for nothing, an entry reported but not installed. No other invariant sees them.
  const onlyItsInvariant = ['forcedNoncacheableAlwaysNormalNc', 'allowAnyUncachedIgnored', 'execOnlyOnExecFaults', 'memslotRefusesEveryPfnmapWithoutFwb', 'faultInstallsNothing'];
  const outcome = (model: ReturnType<typeof kvmStage2Suite.spec.createModel>, op: Operation) => {
    const state = model.initialState();
    return JSON.stringify(model.apply(state, op, new FaultPlan())) + JSON.stringify(state);
  };
  let specOutcomes: string[] | undefined;
  for (const name of onlyItsInvariant) {
    it(`${name} is caught by no invariant but its own, on any input`, () => {
      const mutant = kvmStage2Suite.mutants.find((m) => m.name === name);
      expect(mutant, name).toBeDefined();
      const others = kvmStage2Suite.spec.invariants.filter((i) => i.name !== mutant?.breaks);
      // Only where the seeded bug changes the outcome can any invariant tell it from the specification.
      specOutcomes ??= ops.map((op) => outcome(kvmStage2Suite.spec.createModel(), op));
      const spec = specOutcomes;
      const changed = ops.filter((op, i) => outcome(mutant!.createModel(), op) !== spec[i]);
      expect(changed.length).toBeGreaterThan(0);
      const caught = changed.filter((op) => execute(kvmStage2Suite.spec, mutant!.createModel(), [op], { invariants: others }).violation !== undefined);
      expect(caught.map((op) => JSON.stringify(op))).toEqual([]);
    });
  }

  it('every row of the decision tables is reached by some input (6 fault rows, 3 memslot rows, 18 combinations)', () => {
    const rows = new Set(ops.flatMap((op) => tableRowsOf(op)));
    const want = [
      ...FAULT_TABLE.map((_, i) => `fault ${i}`),
      ...MEMSLOT_TABLE.map((_, i) => `memslot ${i}`),
      ...(['without FWB', 'with FWB'] as const).flatMap((fwb) => memTypes.flatMap((s2) => guestAttrs.map((g) => `${fwb} ${s2} ${g}`))),
    ];
    expect(want.length).toBe(6 + 3 + 18);
    expect([...rows].sort()).toEqual(want.sort());
  });

  for (const mutant of kvmStage2Suite.mutants) {
    it(`${mutant.name} is caught by ${mutant.breaks} on some single input`, () => {
      const invariants = kvmStage2Suite.spec.invariants.filter((i) => i.name === mutant.breaks);
      const decisive = ops.filter((op) => execute(kvmStage2Suite.spec, mutant.createModel(), [op], { invariants }).violation !== undefined);
      expect(decisive.length).toBeGreaterThan(0);
    });
  }
});

describe('kvm-stage2: worked examples', () => {
  const input = (over: Partial<FaultInput>): FaultInput => ({
    pfn: 'devmem',
    vma: nvgraceHostVma('usemem'),
    fwb: true,
    dic: true,
    vmMte: false,
    access: 'read',
    guestS1: 'device',
    ...over,
  });

  it('usemem on a host with FWB: Normal cacheable and executable whatever the guest picks', () => {
    expect(decideStage2Fault(input({}))).toEqual({ ok: true, s2: 'normal', exec: true, effective: 'normal-wb' });
    expect(decideStage2Fault(input({ access: 'exec', guestS1: 'normal-nc' }))).toEqual({ ok: true, s2: 'normal', exec: true, effective: 'normal-wb' });
  });

  it('usemem without FWB: refused rather than mapped cacheable or downgraded', () => {
    expect(decideStage2Fault(input({ fwb: false }))).toEqual({ ok: false, error: '-EFAULT' });
  });

  it('resmem: Normal-NC at stage 2 (MemAttr 0b101 with FWB), never executable', () => {
    const resmem = nvgraceHostVma('resmem');
    expect(decideStage2Fault(input({ vma: resmem, guestS1: 'normal-wb' }))).toEqual({ ok: true, s2: 'normal-nc', exec: false, effective: 'normal-nc' });
    expect(decideStage2Fault(input({ vma: resmem, guestS1: 'device' }))).toEqual({ ok: true, s2: 'normal-nc', exec: false, effective: 'device' });
    expect(decideStage2Fault(input({ vma: resmem, access: 'exec' }))).toEqual({ ok: false, error: '-ENOEXEC' });
  });

  it('forced non-cacheable: Device without VM_ALLOW_ANY_UNCACHED, Normal-NC with it (whatever the pgprot said)', () => {
    const vma = (pgprot: 'normal-nc' | 'device', allowAnyUncached: boolean) => ({ pgprot, flags: { pfnmap: true, io: true, allowAnyUncached, mteAllowed: false } });
    expect(decideStage2Fault(input({ vma: vma('normal-nc', false), guestS1: 'normal-wb' }))).toEqual({ ok: true, s2: 'device', exec: false, effective: 'device' });
    expect(decideStage2Fault(input({ vma: vma('device', true), guestS1: 'normal-wb' }))).toEqual({ ok: true, s2: 'normal-nc', exec: false, effective: 'normal-nc' });
  });

  it('a fault that cannot happen (a frame without struct page behind a VMA that is not VM_PFNMAP) is not applied', () => {
    const model = new KvmStage2Model();
    const args = { pfn: 'devmem', pfnmap: false, io: false, allowAnyUncached: false, mteAllowed: false, pgprot: 'normal', fwb: false, dic: false, vmMte: false, access: 'read', guestS1: 'normal-wb' };
    expect(model.precondition(model.initialState(), { op: 'fault', args })).toBe(false);
    expect(model.precondition(model.initialState(), { op: 'fault', args: { ...args, pfnmap: true, mteAllowed: true } })).toBe(false);
    expect(model.precondition(model.initialState(), { op: 'fault', args: { ...args, pfnmap: true } })).toBe(true);
  });

  it('MMIO with a Device pgprot and no VM_ALLOW_ANY_UNCACHED stays Device', () => {
    const mmio = { pgprot: 'device' as const, flags: { pfnmap: true, io: true, allowAnyUncached: false, mteAllowed: false } };
    expect(decideStage2Fault(input({ pfn: 'mmio', vma: mmio, guestS1: 'normal-wb' }))).toEqual({ ok: true, s2: 'device', exec: false, effective: 'device' });
  });

  it('combines stage 1 and stage 2: the stronger wins without FWB, stage 2 decides with FWB', () => {
    expect(combineStages('normal-nc', 'normal', false)).toBe('normal-nc');
    expect(combineStages('normal-wb', 'normal-nc', false)).toBe('normal-nc');
    expect(combineStages('normal-nc', 'normal', true)).toBe('normal-wb');
    expect(combineStages('device', 'normal', true)).toBe('normal-wb');
    expect(combineStages('device', 'normal-nc', true)).toBe('device');
    expect(combineStages('normal-wb', 'device', true)).toBe('device');
  });
});
