// Invariants of the arm64 KVM stage-2 memory-type decision, each named for what it protects. Each restates its
// rule from the operation's inputs and result; none asks the model.

import type { Result } from '../common/result.js';
import type { Invariant } from '../common/spec.js';
import { typedOp } from '../common/schema.js';
import type { Args, Operation } from '../common/values.js';
import { stage2Signatures } from './operations.js';
import { isCacheableType, type MemType } from '../nvgrace-gpu/host-mapping.js';
import { isCacheableAttr, type GuestAttr, type Stage2State } from './state.js';

const SOURCE = '002_748f16c03ac79905.txt';
const NVGRACE = '001_d5d5d944b120b211.txt';
const MMU = 'merged arch/arm64/kvm/mmu.c';

type Installed = { readonly s2: MemType; readonly exec: boolean; readonly effective: GuestAttr };

function installed(result: Result): Installed | undefined {
  return result.ok && result.value !== undefined && typeof result.value === 'object' ? (result.value as unknown as Installed) : undefined;
}

/** The facts a fault-like operation is about, with nvgraceFault spelled out as the VMA nvgrace_gpu_mmap makes. */
function facts(op: Operation) {
  const o = typedOp(stage2Signatures, op);
  if (o?.op === 'fault') return { pfnHasStructPage: o.args.pfn === 'ram', io: o.args.io, pgprot: o.args.pgprot, mteAllowed: o.args.mteAllowed };
  if (o?.op === 'nvgraceFault') {
    // usemem: Normal; resmem: Normal-NC (001 / nvgrace_gpu_mmap); both VM_IO | VM_PFNMAP, never VM_MTE_ALLOWED.
    const pgprot: MemType = o.args.region === 'resmem' ? 'normal-nc' : 'normal';
    return { pfnHasStructPage: false, io: true, pgprot, mteAllowed: false };
  }
  return undefined;
}

// ------------------------------------------------------------------------------------- the decision table
// The whole decision, written as tables from the sources (002 and 001, checked against user_mem_abort and
// kvm_arch_prepare_memory_region of Linux v6.17), independently of operations.ts: every reachable input gets
// exactly one row, the first that matches. README.md prints the same tables.

/** What a fault's row is chosen by. */
interface FaultFacts {
  /** VM_PFNMAP and a frame KVM cannot reach through the linear map (no struct page): no cache maintenance possible. */
  readonly special: boolean;
  /** The VMA's pgprot is Normal (kvm_vma_is_cacheable: neither Normal-NC nor a Device type). */
  readonly vmaCacheable: boolean;
  /** ARM64_HAS_STAGE2_FWB and ARM64_HAS_CACHE_DIC. */
  readonly fwbAndDic: boolean;
  readonly exec: boolean;
  readonly allowAnyUncached: boolean;
  /** The VM has MTE and the VMA is not VM_MTE_ALLOWED. */
  readonly mteBlocks: boolean;
}

/** A row's outcome: the error, or the stage-2 type with its exec rule. */
type Decision = { readonly error: string } | { readonly s2: MemType; readonly x: 'never' | 'exec fault or DIC' };

/** The stage-2 fault decision (user_mem_abort), first matching row wins. */
export const FAULT_TABLE: readonly { readonly when: Partial<FaultFacts>; readonly then: Decision }[] = [
  // Device memory the VMA wants cacheable: only if the hardware makes cache maintenance unnecessary (002; FWB + DIC).
  { when: { special: true, vmaCacheable: true, fwbAndDic: false }, then: { error: '-EFAULT' } },
  // Forced non-cacheable: never executable (002), Normal-NC only where VM_ALLOW_ANY_UNCACHED allows it, else Device.
  { when: { special: true, vmaCacheable: false, exec: true }, then: { error: '-ENOEXEC' } },
  { when: { special: true, vmaCacheable: false, allowAnyUncached: true }, then: { s2: 'normal-nc', x: 'never' } },
  { when: { special: true, vmaCacheable: false, allowAnyUncached: false }, then: { s2: 'device', x: 'never' } },
  // Everything left will be cacheable: in an MTE VM the VMA must allow MTE (002 case 2; -EFAULT in the fault path).
  { when: { mteBlocks: true }, then: { error: '-EFAULT' } },
  // Normal cacheable: executable for an exec fault, and for any fault when the CPU has CACHE_DIC.
  { when: {}, then: { s2: 'normal', x: 'exec fault or DIC' } },
];

/** Memslot creation over one VMA (kvm_arch_prepare_memory_region), first matching row wins. */
export const MEMSLOT_TABLE: readonly { readonly when: { readonly mteBlocks?: boolean; readonly pfnmap?: boolean; readonly vmaCacheable?: boolean; readonly fwbAndDic?: boolean }; readonly then: { readonly error?: string } }[] = [
  { when: { mteBlocks: true }, then: { error: '-EINVAL' } },
  { when: { pfnmap: true, vmaCacheable: true, fwbAndDic: false }, then: { error: '-EINVAL' } },
  { when: {}, then: {} },
];

/**
 * What the guest's accesses finally are: [FWB][stage 2][guest stage 1]. Without FWB the more restrictive of the two
 * wins; with FWB (Arm ARM D8.6.6) a Normal stage 2 (MemAttr 0b110) is Write-Back whatever the guest chose,
 * Normal-NC (0b101) is Non-cacheable unless the guest chose Device, and Device stays Device.
 */
export const GUEST_SEES: { readonly [fwb in 'without FWB' | 'with FWB']: { readonly [s2 in MemType]: { readonly [g in GuestAttr]: GuestAttr } } } = {
  'without FWB': {
    normal: { 'normal-wb': 'normal-wb', 'normal-nc': 'normal-nc', device: 'device' },
    'normal-nc': { 'normal-wb': 'normal-nc', 'normal-nc': 'normal-nc', device: 'device' },
    device: { 'normal-wb': 'device', 'normal-nc': 'device', device: 'device' },
  },
  'with FWB': {
    normal: { 'normal-wb': 'normal-wb', 'normal-nc': 'normal-wb', device: 'normal-wb' },
    'normal-nc': { 'normal-wb': 'normal-nc', 'normal-nc': 'normal-nc', device: 'device' },
    device: { 'normal-wb': 'device', 'normal-nc': 'device', device: 'device' },
  },
};

/** The VMA nvgrace_gpu_mmap gives each region (001): both VM_IO | VM_PFNMAP, never VM_MTE_ALLOWED; resmem write-combined. */
const NVGRACE_VMA = {
  usemem: { pfnmap: true, pgprot: 'normal', allowAnyUncached: false, mteAllowed: false },
  resmem: { pfnmap: true, pgprot: 'normal-nc', allowAnyUncached: true, mteAllowed: false },
} as const;

/** The index of the first row whose every condition holds. */
function firstRow<W extends object>(table: readonly { readonly when: W }[], facts: W): number {
  const row = table.findIndex(({ when }) => Object.entries(when).every(([k, v]) => (facts as Record<string, unknown>)[k] === v));
  if (row < 0) throw new Error('decision table without a default row');
  return row;
}

type Expected = { readonly error: string } | { readonly s2: MemType; readonly exec: boolean; readonly effective: GuestAttr };

/** The rows of the tables an operation goes through (for the tests: every row is reachable). */
export function tableRowsOf(op: { readonly op: string; readonly args: Args }): string[] {
  const rows: string[] = [];
  expectedByTable(op, rows);
  return rows;
}

/** What the tables say an operation returns (undefined for an accepted memslot, which returns nothing). */
export function expectedByTable(op: { readonly op: string; readonly args: Args }, rows: string[] = []): Expected | undefined {
  const a = op.args;
  const fwbAndDic = a['fwb'] === true && a['dic'] === true;
  const vmMte = a['vmMte'] === true;
  let vma: { readonly pfnmap: boolean; readonly pgprot: string; readonly allowAnyUncached: boolean; readonly mteAllowed: boolean };
  let special: boolean;
  if (op.op === 'fault') {
    vma = { pfnmap: a['pfnmap'] === true, pgprot: String(a['pgprot']), allowAnyUncached: a['allowAnyUncached'] === true, mteAllowed: a['mteAllowed'] === true };
    special = vma.pfnmap && a['pfn'] !== 'ram';
  } else if (op.op === 'memslot' || op.op === 'nvgraceFault') {
    vma = op.op === 'memslot' ? { pfnmap: a['pfnmap'] === true, pgprot: String(a['pgprot']), allowAnyUncached: a['allowAnyUncached'] === true, mteAllowed: a['mteAllowed'] === true } : NVGRACE_VMA[a['region'] === 'resmem' ? 'resmem' : 'usemem'];
    special = true;
    const slotRow = firstRow(MEMSLOT_TABLE, { mteBlocks: vmMte && !vma.mteAllowed, pfnmap: vma.pfnmap, vmaCacheable: vma.pgprot === 'normal', fwbAndDic });
    rows.push(`memslot ${slotRow}`);
    const slot = MEMSLOT_TABLE[slotRow]?.then ?? {};
    if (slot.error !== undefined) return { error: slot.error };
    if (op.op === 'memslot') return undefined;
  } else return undefined;
  const faultRow = firstRow(FAULT_TABLE, {
    special,
    vmaCacheable: vma.pgprot === 'normal',
    fwbAndDic,
    exec: a['access'] === 'exec',
    allowAnyUncached: vma.allowAnyUncached,
    mteBlocks: vmMte && !vma.mteAllowed,
  });
  rows.push(`fault ${faultRow}`);
  const decision = FAULT_TABLE[faultRow]?.then ?? { error: 'no row' };
  if ('error' in decision) return decision;
  const exec = decision.x === 'exec fault or DIC' && (a['access'] === 'exec' || a['dic'] === true);
  const fwb = a['fwb'] === true ? 'with FWB' : 'without FWB';
  const guest = a['guestS1'] as GuestAttr;
  rows.push(`${fwb} ${decision.s2} ${guest}`);
  return { s2: decision.s2, exec, effective: GUEST_SEES[fwb][decision.s2][guest] };
}

const showExpected = (w: Expected): string => ('error' in w ? w.error : show(w));
const show = (e: Installed | undefined): string => (e === undefined ? 'OK' : `stage 2 ${e.s2}${e.exec ? '+X' : ''}, guest sees ${e.effective}`);

export const stage2Invariants: readonly Invariant<Stage2State>[] = [
  {
    // 002, "Do not allow non-struct page memory to be cachable without FWB"; mmu.c kvm_supports_cacheable_pfnmap (FWB and DIC).
    name: 'cacheableOnlyWithFwb',
    source: `${SOURCE} § "Do not allow non-struct page memory to be cachable without FWB"; ${MMU} user_mem_abort, kvm_arch_prepare_memory_region`,
    check: ({ op, result }) => {
      const a = op.args;
      const hw = a['fwb'] === true && a['dic'] === true;
      if (op.op === 'memslot')
        return result.ok && a['pfnmap'] === true && a['pgprot'] === 'normal' && !hw
          ? `a cacheable PFNMAP memslot was accepted without ${a['fwb'] ? 'CACHE_DIC' : 'FWB'}`
          : undefined;
      const f = facts(op);
      const e = installed(result);
      if (f === undefined || e === undefined || f.pfnHasStructPage || e.s2 !== 'normal' || hw) return undefined;
      return `memory without struct pages was mapped Normal cacheable at stage 2 without ${a['fwb'] ? 'CACHE_DIC' : 'FWB'}`;
    },
  },
  {
    // 002, case 1 "VM_IO set along with MT_NORMAL ... unsafe to be mapped as cacheable", as the merged code narrowed it.
    name: 'ioMappingWithNormalProtectionIsNeverCacheable',
    source: `${SOURCE} § "1. The VMA pgprot may have VM_IO set alongwith MT_NORMAL"; ${MMU} kvm_vma_is_cacheable`,
    check: ({ op, result }) => {
      const f = facts(op);
      const e = installed(result);
      if (f === undefined || e === undefined || !f.io || f.pfnHasStructPage || e.s2 !== 'normal') return undefined;
      if (f.pgprot !== 'normal') return `a VM_IO mapping with a ${f.pgprot} protection was made Normal cacheable at stage 2`;
      if (op.args['fwb'] !== true || op.args['dic'] !== true) return 'a VM_IO mapping with Normal protection was made cacheable where KVM cannot keep it coherent (no FWB or no DIC)';
      return undefined;
    },
  },
  {
    // 002, case 2 "VM_MTE_ALLOWED is not set and KVM_CAP_ARM_MTE is enabled"; mmu.c "Check the VMM hasn't introduced a new disallowed VMA".
    name: 'mteWithoutMteAllowedIsNeverCacheable',
    source: `${SOURCE} § "2. Configurations where VM_MTE_ALLOWED is not set and KVM_CAP_ARM_MTE is enabled"; ${MMU} user_mem_abort, kvm_arch_prepare_memory_region`,
    check: ({ op, result }) => {
      if (op.args['vmMte'] !== true) return undefined;
      if (op.op === 'memslot')
        return result.ok && op.args['mteAllowed'] !== true ? 'a memslot over a VMA without VM_MTE_ALLOWED was accepted in an MTE VM' : undefined;
      const f = facts(op);
      const e = installed(result);
      if (f === undefined || e === undefined || f.mteAllowed || e.s2 !== 'normal') return undefined;
      return 'memory the VMA does not allow MTE on was mapped cacheable in a VM with MTE (the guest could enable tags on it)';
    },
  },
  {
    // 002, case 2 says such memory is never *cacheable*, not never mapped: mmu.c checks MTE only for a mapping that
    // will be cacheable (!s2_force_noncacheable), so device memory the VMA maps non-cacheable stays mappable.
    name: 'mteRefusesOnlyCacheableMappings',
    source: `${SOURCE} § "2. Configurations where VM_MTE_ALLOWED is not set and KVM_CAP_ARM_MTE is enabled"; ${MMU} user_mem_abort (!s2_force_noncacheable && kvm_has_mte)`,
    check: ({ op, result }) => {
      const f = facts(op);
      if (op.op !== 'fault' || f === undefined || f.pfnHasStructPage || f.pgprot === 'normal' || op.args['access'] === 'exec') return undefined;
      return result.ok ? undefined : `a non-exec fault on device memory the VMA maps ${f.pgprot} was refused with ${result.error}${op.args['vmMte'] === true ? ' (MTE only concerns cacheable mappings)' : ''}`;
    },
  },
  {
    // 002, "Executable faults should thus be allowed on the memory determined as Normal cacheable"; mmu.c -ENOEXEC.
    name: 'execOnlyWhereTheSourceAllowsIt',
    source: `${SOURCE} § "Executable faults should thus be allowed on the memory determined as Normal cacheable"; ${MMU} user_mem_abort (-ENOEXEC)`,
    check: ({ op, result }) => {
      const f = facts(op);
      if (f === undefined) return undefined;
      const a = op.args;
      const e = installed(result);
      if (e !== undefined && e.exec && e.s2 !== 'normal') return `stage-2 ${e.s2} memory was made executable`;
      if (a['access'] !== 'exec') return undefined;
      const hw = a['fwb'] === true && a['dic'] === true;
      const mteRefused = a['vmMte'] === true && !f.mteAllowed;
      const memslotRefused = op.op === 'nvgraceFault' && ((f.pgprot === 'normal' && !hw) || a['vmMte'] === true);
      const normalCacheable = (f.pfnHasStructPage || (f.pgprot === 'normal' && hw)) && !mteRefused && !memslotRefused;
      if (normalCacheable && (e === undefined || !e.exec)) return `an exec fault on Normal cacheable memory was ${result.ok ? 'mapped without exec' : `refused with ${result.error}`}`;
      if (!normalCacheable && e !== undefined) return 'an exec fault on memory that is not Normal cacheable was mapped';
      return undefined;
    },
  },
  {
    // 001, "the CPUs have FWB enabled which blocks the VM mapping's ability to override the cacheability set by the host mapping".
    name: 'guestCannotOverrideCacheabilityWithFwb',
    source: `${NVGRACE} § "FWB enabled which blocks the VM mapping's ability to override the cacheability"; Arm ARM D8.6.6 (FWB)`,
    check: ({ op, result }) => {
      const e = installed(result);
      if (e === undefined || op.args['fwb'] !== true) return undefined;
      return isCacheableAttr(e.effective) === isCacheableType(e.s2)
        ? undefined
        : `with FWB a guest stage-1 ${String(op.args['guestS1'])} turned stage-2 ${e.s2} into ${e.effective}`;
    },
  },
  {
    // The series' own rule ("Prohibit a region to be mapped non cacheable in S2 and marked as cacheable in the
    // userspace VMA. Such mismatched mapping is a security risk", a check later dropped as unreachable), and the
    // converse; 002's FWB requirement is what makes it hold.
    name: 'noMismatchedCacheabilityAlias',
    source: `${SOURCE} § cacheable only with FWB, memory type from the VMA; ${MMU} user_mem_abort (s2_force_noncacheable vs is_vma_cacheable)`,
    check: ({ op, result }) => {
      const f = facts(op);
      const e = installed(result);
      if (f === undefined || e === undefined || f.pfnHasStructPage) return undefined;
      const host = isCacheableType(f.pgprot);
      return host === isCacheableAttr(e.effective)
        ? undefined
        : `the host maps this memory ${host ? 'cacheable' : 'non-cacheable'} (${f.pgprot}) but the guest accesses it as ${e.effective} (stage 2 ${e.s2}, stage 1 ${String(op.args['guestS1'])})`;
    },
  },
  {
    // 001, "resmem ... requisite properties (uncached, unaligned access) ... S1 NORMAL_NC and S2 MemAttr[2:0]=0b101".
    name: 'resmemIsNeverCacheableInTheGuest',
    source: `${NVGRACE} § resmem "uncached", pgprot_writecombine, "KVM marks the region with MemAttr[2:0]=0b101 in S2"`,
    check: ({ op, result }) => {
      if (op.op !== 'nvgraceFault' || op.args['region'] !== 'resmem') return undefined;
      const e = installed(result);
      if (e === undefined) return undefined;
      if (e.s2 === 'normal' || isCacheableAttr(e.effective)) return `resmem reached the guest as ${e.effective} (stage 2 ${e.s2})`;
      return undefined;
    },
  },
  {
    // 001, usemem "can be mmaped into the user VMA with a cacheable mapping and used like a regular RAM" + the FWB remark.
    name: 'usememIsCacheableInTheGuestWithFwb',
    source: `${NVGRACE} § "cacheable mapping and used like a regular RAM", FWB remark; ${SOURCE} § cacheable with FWB, exec on Normal cacheable`,
    check: ({ op, result }) => {
      const a = op.args;
      if (op.op !== 'nvgraceFault' || a['region'] !== 'usemem' || a['fwb'] !== true || a['dic'] !== true || a['vmMte'] === true) return undefined;
      const e = installed(result);
      if (e === undefined) return `usemem on a host with FWB and DIC was refused: ${result.ok ? 'no entry' : result.error}`;
      if (e.effective !== 'normal-wb') return `usemem reached the guest as ${e.effective} (stage 2 ${e.s2}) on a host with FWB`;
      return undefined;
    },
  },
  {
    // The full decision: 002 (cacheable only with FWB, exec only on Normal cacheable, MTE), 001 (resmem Normal-NC,
    // S2 MemAttr 0b101; FWB) and mmu.c's choice between KVM_PGTABLE_PROT_NORMAL_NC and KVM_PGTABLE_PROT_DEVICE.
    name: 'stage2DecisionFollowsTheTable',
    source: `${SOURCE} § memory type decision, "Executable faults ... Normal cacheable", MTE; ${NVGRACE} § resmem "S2 MemAttr[2:0]=0b101", FWB remark; ${MMU} (v6.17) user_mem_abort (VM_ALLOW_ANY_UNCACHED -> NORMAL_NC else DEVICE), kvm_arch_prepare_memory_region`,
    check: ({ op, result }) => {
      const want = expectedByTable(op);
      if (want === undefined) return op.op !== 'memslot' || result.ok ? undefined : `memslot refused with ${result.error}, which the table accepts`;
      if ('error' in want) return !result.ok && result.error === want.error ? undefined : `${op.op} gave ${result.ok ? show(installed(result)) : result.error}; the table says ${want.error}`;
      const e = installed(result);
      if (e !== undefined && e.s2 === want.s2 && e.exec === want.exec && e.effective === want.effective) return undefined;
      return `${op.op} gave ${result.ok ? show(e) : result.error}; the table says ${showExpected(want)}`;
    },
  },
  {
    // 002 / mmu.c: a fault that is resolved installs one stage-2 entry (kvm_pgtable_stage2_map), a memslot that is
    // accepted exists, and a refusal changes nothing.
    name: 'stateRecordsWhatWasInstalled',
    source: `${SOURCE} § stage-2 fault handling; ${MMU} user_mem_abort (kvm_pgtable_stage2_map), kvm_arch_prepare_memory_region`,
    check: ({ op, before, after, result }) => {
      const same = (x: Stage2State, y: Stage2State) => JSON.stringify(x) === JSON.stringify(y);
      if (!result.ok) return same(before, after) ? undefined : `${op.op} was refused (${result.error}) but the state changed`;
      if (op.op === 'memslot') {
        if (after.memslotsAccepted !== before.memslotsAccepted + 1) return `an accepted memslot took the count from ${before.memslotsAccepted} to ${after.memslotsAccepted}`;
        return JSON.stringify(after.installed) === JSON.stringify(before.installed) ? undefined : 'creating a memslot changed the stage-2 entries';
      }
      const e = installed(result);
      if (e === undefined) return undefined;
      const via = op.op === 'fault' ? 'fault' : String(op.args['region']);
      const pfn = op.op === 'fault' ? String(op.args['pfn']) : 'devmem';
      const want = JSON.stringify([...before.installed, { via, pfn, s2: e.s2, exec: e.exec, effective: e.effective }]);
      if (JSON.stringify(after.installed) !== want) return `${op.op} returned ${show(e)} but the stage-2 entries are ${after.installed.length - before.installed.length} more, not exactly that one`;
      return after.memslotsAccepted === before.memslotsAccepted ? undefined : 'a fault changed the memslot count';
    },
  },
];
