// Invariants of the arm64 KVM stage-2 memory-type decision, each named for what it protects. Each restates its
// rule from the operation's inputs and result; none asks the model.

import type { Result } from '../common/result.js';
import type { Invariant } from '../common/spec.js';
import type { Args } from '../common/values.js';
import { isCacheableType, type MemType } from '../nvgrace-gpu/host-mapping.js';
import { isCacheableAttr, type GuestAttr, type Stage2State } from './state.js';

const SEED = '002_748f16c03ac79905.txt';
const NVGRACE = '001_d5d5d944b120b211.txt';
const MMU = 'merged arch/arm64/kvm/mmu.c';

type Installed = { readonly s2: MemType; readonly exec: boolean; readonly effective: GuestAttr };

function installed(result: Result): Installed | undefined {
  return result.ok && result.value !== undefined && typeof result.value === 'object' ? (result.value as unknown as Installed) : undefined;
}

/** The facts a fault-like operation is about, with nvgraceFault spelled out as the VMA nvgrace_gpu_mmap makes. */
function facts(op: { readonly op: string; readonly args: Args }) {
  const a = op.args;
  if (op.op === 'fault')
    return {
      pfnHasStructPage: a['pfn'] === 'ram',
      io: a['io'] as boolean,
      pgprot: a['pgprot'] as MemType,
      mteAllowed: a['mteAllowed'] as boolean,
    };
  if (op.op === 'nvgraceFault')
    // usemem: Normal; resmem: Normal-NC (001 / nvgrace_gpu_mmap); both VM_IO | VM_PFNMAP, never VM_MTE_ALLOWED.
    return { pfnHasStructPage: false, io: true, pgprot: (a['region'] === 'resmem' ? 'normal-nc' : 'normal') as MemType, mteAllowed: false };
  return undefined;
}

export const stage2Invariants: readonly Invariant<Stage2State>[] = [
  {
    // 002, "Do not allow non-struct page memory to be cachable without FWB"; mmu.c kvm_supports_cacheable_pfnmap (FWB and DIC).
    name: 'cacheableOnlyWithFwb',
    source: `${SEED} § "Do not allow non-struct page memory to be cachable without FWB"; ${MMU} user_mem_abort, kvm_arch_prepare_memory_region`,
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
    source: `${SEED} § "1. The VMA pgprot may have VM_IO set alongwith MT_NORMAL"; ${MMU} kvm_vma_is_cacheable`,
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
    source: `${SEED} § "2. Configurations where VM_MTE_ALLOWED is not set and KVM_CAP_ARM_MTE is enabled"; ${MMU} user_mem_abort, kvm_arch_prepare_memory_region`,
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
    source: `${SEED} § "2. Configurations where VM_MTE_ALLOWED is not set and KVM_CAP_ARM_MTE is enabled"; ${MMU} user_mem_abort (!s2_force_noncacheable && kvm_has_mte)`,
    check: ({ op, result }) => {
      const f = facts(op);
      if (op.op !== 'fault' || f === undefined || f.pfnHasStructPage || f.pgprot === 'normal' || op.args['access'] === 'exec') return undefined;
      return result.ok ? undefined : `a non-exec fault on device memory the VMA maps ${f.pgprot} was refused with ${result.error}${op.args['vmMte'] === true ? ' (MTE only concerns cacheable mappings)' : ''}`;
    },
  },
  {
    // 002, "Executable faults should thus be allowed on the memory determined as Normal cacheable"; mmu.c -ENOEXEC.
    name: 'execOnlyWhereTheSourceAllowsIt',
    source: `${SEED} § "Executable faults should thus be allowed on the memory determined as Normal cacheable"; ${MMU} user_mem_abort (-ENOEXEC)`,
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
    source: `${SEED} § cacheable only with FWB, memory type from the VMA; ${MMU} user_mem_abort (s2_force_noncacheable vs is_vma_cacheable)`,
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
    source: `${NVGRACE} § "cacheable mapping and used like a regular RAM", FWB remark; ${SEED} § cacheable with FWB, exec on Normal cacheable`,
    check: ({ op, result }) => {
      const a = op.args;
      if (op.op !== 'nvgraceFault' || a['region'] !== 'usemem' || a['fwb'] !== true || a['dic'] !== true || a['vmMte'] === true) return undefined;
      const e = installed(result);
      if (e === undefined) return `usemem on a host with FWB and DIC was refused: ${result.ok ? 'no entry' : result.error}`;
      if (e.effective !== 'normal-wb') return `usemem reached the guest as ${e.effective} (stage 2 ${e.s2}) on a host with FWB`;
      return undefined;
    },
  },
];
