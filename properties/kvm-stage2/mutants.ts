// Seeded bugs in the stage-2 decision: each overrides exactly one step, the way this code went wrong in the
// review rounds of 002 and its successors, and names the invariant that must catch it.

import type { DeviceRegion, HostVma, MemType } from '../../model/nvgrace-gpu/host-mapping.js';
import { KvmStage2Model, type FaultInput, type FaultOutcome, type GuestAttr, type HostCaps, type PfnKind, type PfnmapPolicy, type Stage2State } from '../../model/kvm-stage2/index.js';
import type { Result } from '../../model/common/result.js';
import { mutantOf, type MutantDef } from '../harness/suite.js';

/** The VMA's Normal pgprot is trusted without checking for FWB (and DIC): the v1-era behaviour. */
class TrustPgprotWithoutFwb extends KvmStage2Model {
  override supportsCacheablePfnmap(): boolean {
    return true;
  }
}

/** VM_IO is let through as "coherent I/O memory": its mapping is cacheable whatever its pgprot says. */
class VmIoTreatedAsCacheable extends KvmStage2Model {
  override vmaIsCacheable(vma: HostVma): boolean {
    return vma.flags.io || super.vmaIsCacheable(vma);
  }
}

/** The MTE check is skipped: a VMA without VM_MTE_ALLOWED is mapped cacheable in an MTE VM. */
class IgnoreMteCheck extends KvmStage2Model {
  override mteCheck(): string | undefined {
    return undefined;
  }
}

/** Exec denied on every VM_IO mapping (the v2 patch: VM_IO set its "noncacheable" flag, which gated exec). */
class DenyExecOnVmIo extends KvmStage2Model {
  override execCheck(input: FaultInput, forceNoncacheable: boolean): string | undefined {
    return input.access === 'exec' && input.vma.flags.io ? '-ENOEXEC' : super.execCheck(input, forceNoncacheable);
  }
}

/** Stage 1 and 2 combined as if FWB were off: the guest's Normal-NC or Device wins over a forced Write-Back. */
class CombineIgnoresFwb extends KvmStage2Model {
  override combine(guest: GuestAttr, s2: MemType): GuestAttr {
    return super.combine(guest, s2, false);
  }
}

/** Without FWB the less restrictive attribute wins: a guest Write-Back over a stage-2 Normal-NC is cacheable. */
class CombineWeakerWins extends KvmStage2Model {
  override combine(guest: GuestAttr, s2: MemType, fwb: boolean): GuestAttr {
    if (fwb || guest !== 'normal-wb') return super.combine(guest, s2, fwb);
    return 'normal-wb';
  }
}

/** nvgrace-gpu maps resmem with the default cacheable pgprot (pgprot_writecombine forgotten). */
class NvgraceMapsResmemCacheable extends KvmStage2Model {
  override hostVma(region: DeviceRegion): HostVma {
    const vma = super.hostVma(region);
    return region === 'resmem' ? { ...vma, pgprot: 'normal' } : vma;
  }
}

/** 002's literal VM_IO rule: every VM_IO PFNMAP is forced non-cacheable (remap_pfn_range sets VM_IO, so usemem too). */
class VmIoForcesNoncacheable extends KvmStage2Model {
  override pfnmapPolicy(input: FaultInput): PfnmapPolicy {
    return input.vma.flags.io ? 'noncacheable' : super.pfnmapPolicy(input);
  }
}

/** 002's wording taken literally: FWB alone allows a cacheable PFNMAP (the merged code also needs CACHE_DIC). */
class FwbAloneAllowsCacheablePfnmap extends KvmStage2Model {
  override supportsCacheablePfnmap(caps: HostCaps): boolean {
    return caps.fwb;
  }
}

/** The MTE check made before the memory type is known: device memory mapped non-cacheable is refused in an MTE VM. */
class MteCheckedForEveryMapping extends KvmStage2Model {
  override userMemAbort(input: FaultInput): FaultOutcome {
    const mteError = this.mteCheck(input);
    return mteError !== undefined ? { ok: false, error: mteError } : super.userMemAbort(input);
  }
}

/** KVM_PGTABLE_PROT_X set on every entry, not only for exec faults and cacheable memory with CACHE_DIC. */
class ExecPermissionOnEveryEntry extends KvmStage2Model {
  override execPermission(): boolean {
    return true;
  }
}

/** kvm_arch_prepare_memory_region forgets the cacheable-PFNMAP check: the memslot is accepted without FWB and DIC. */
class MemslotSkipsPfnmapCheck extends KvmStage2Model {
  override prepareMemoryRegion(vma: HostVma, hostCaps: HostCaps, vmMte: boolean): string | undefined {
    return super.prepareMemoryRegion({ ...vma, flags: { ...vma.flags, pfnmap: false } }, hostCaps, vmMte);
  }
}

/** kvm_arch_prepare_memory_region forgets the VM_MTE_ALLOWED check of an MTE VM. */
class MemslotSkipsMteCheck extends KvmStage2Model {
  override prepareMemoryRegion(vma: HostVma, hostCaps: HostCaps): string | undefined {
    return super.prepareMemoryRegion(vma, hostCaps, false);
  }
}

// ----- the decision table and what a fault leaves behind (effect rules) -----

/** VM_ALLOW_ANY_UNCACHED is not looked at: memory forced non-cacheable is Normal-NC even where only Device is allowed. */
class ForcedNoncacheableAlwaysNormalNc extends KvmStage2Model {
  override stage2Type(vma: HostVma, forceNoncacheable: boolean): MemType {
    return forceNoncacheable ? 'normal-nc' : super.stage2Type(vma, forceNoncacheable);
  }
}

/** The pre-6.9 rule: memory forced non-cacheable is always Device, VM_ALLOW_ANY_UNCACHED (nvgrace resmem) included. */
class AllowAnyUncachedIgnored extends KvmStage2Model {
  override stage2Type(vma: HostVma, forceNoncacheable: boolean): MemType {
    return forceNoncacheable ? 'device' : super.stage2Type(vma, forceNoncacheable);
  }
}

/** KVM_PGTABLE_PROT_X only for exec faults: a cacheable entry on a CPU with CACHE_DIC is not made executable up front. */
class ExecOnlyOnExecFaults extends KvmStage2Model {
  override execPermission(input: FaultInput): boolean {
    return input.access === 'exec';
  }
}

/** kvm_arch_prepare_memory_region refuses every PFNMAP without FWB and DIC, the non-cacheable ones (resmem, MMIO) too. */
class MemslotRefusesEveryPfnmapWithoutFwb extends KvmStage2Model {
  override prepareMemoryRegion(vma: HostVma, hostCaps: HostCaps, vmMte: boolean): string | undefined {
    return vma.flags.pfnmap && !this.supportsCacheablePfnmap(hostCaps) ? '-EINVAL' : super.prepareMemoryRegion(vma, hostCaps, vmMte);
  }
}

/** The fault reports the entry it decided on but installs nothing (the stage-2 map's result is dropped). */
class FaultInstallsNothing extends KvmStage2Model {
  override record(s: Stage2State, via: 'fault' | DeviceRegion, pfn: PfnKind, outcome: FaultOutcome): Result {
    const kept = [...s.installed];
    const result = super.record(s, via, pfn, outcome);
    s.installed = kept;
    return result;
  }
}

const mutant = mutantOf<Stage2State>('stage2Faults');
const single = (name: string, breaks: string, description: string, Model: new () => KvmStage2Model): MutantDef<Stage2State> => mutant(name, breaks, 1, description, Model);

export const stage2Mutants: readonly MutantDef<Stage2State>[] = [
  single('trustPgprotWithoutFwb', 'cacheableOnlyWithFwb', "the VMA's Normal pgprot is trusted without FWB and DIC", TrustPgprotWithoutFwb),
  single('vmIoTreatedAsCacheable', 'ioMappingWithNormalProtectionIsNeverCacheable', 'VM_IO mappings are mapped cacheable whatever their pgprot', VmIoTreatedAsCacheable),
  single('ignoreMteCheck', 'mteWithoutMteAllowedIsNeverCacheable', 'the VM_MTE_ALLOWED check is skipped in an MTE VM', IgnoreMteCheck),
  single('denyExecOnVmIo', 'execOnlyWhereTheSourceAllowsIt', 'exec faults are refused on every VM_IO mapping, Normal cacheable ones included', DenyExecOnVmIo),
  single('combineIgnoresFwb', 'guestCannotOverrideCacheabilityWithFwb', 'stage 1 and 2 combined without regard to FWB', CombineIgnoresFwb),
  single('combineWeakerWins', 'noMismatchedCacheabilityAlias', 'without FWB the less restrictive attribute wins', CombineWeakerWins),
  single('nvgraceMapsResmemCacheable', 'resmemIsNeverCacheableInTheGuest', 'the nvgrace mmap maps resmem cacheable', NvgraceMapsResmemCacheable),
  single('fwbAloneAllowsCacheablePfnmap', 'cacheableOnlyWithFwb', "002's wording taken literally: FWB without CACHE_DIC allows a cacheable PFNMAP", FwbAloneAllowsCacheablePfnmap),
  single('mteCheckedForEveryMapping', 'mteRefusesOnlyCacheableMappings', 'the MTE check refuses device memory mapped non-cacheable too', MteCheckedForEveryMapping),
  single('execPermissionOnEveryEntry', 'execOnlyWhereTheSourceAllowsIt', 'every stage-2 entry is executable, Device and Normal-NC ones included', ExecPermissionOnEveryEntry),
  single('memslotSkipsPfnmapCheck', 'cacheableOnlyWithFwb', 'a cacheable PFNMAP memslot is accepted without FWB and DIC', MemslotSkipsPfnmapCheck),
  single('memslotSkipsMteCheck', 'mteWithoutMteAllowedIsNeverCacheable', 'a memslot without VM_MTE_ALLOWED is accepted in an MTE VM', MemslotSkipsMteCheck),
  single('vmIoForcesNoncacheable', 'usememIsCacheableInTheGuestWithFwb', "002's literal rule: VM_IO forces non-cacheable, so usemem is uncached in the guest", VmIoForcesNoncacheable),
  single('forcedNoncacheableAlwaysNormalNc', 'stage2DecisionFollowsTheTable', 'memory forced non-cacheable is Normal-NC without VM_ALLOW_ANY_UNCACHED (plain VM_IO MMIO too)', ForcedNoncacheableAlwaysNormalNc),
  single('allowAnyUncachedIgnored', 'stage2DecisionFollowsTheTable', 'memory forced non-cacheable is Device even with VM_ALLOW_ANY_UNCACHED (nvgrace resmem not Normal-NC)', AllowAnyUncachedIgnored),
  single('execOnlyOnExecFaults', 'stage2DecisionFollowsTheTable', 'a cacheable entry is executable only after an exec fault, CACHE_DIC or not', ExecOnlyOnExecFaults),
  single('memslotRefusesEveryPfnmapWithoutFwb', 'stage2DecisionFollowsTheTable', 'a non-cacheable PFNMAP memslot is refused without FWB and DIC', MemslotRefusesEveryPfnmapWithoutFwb),
  single('faultInstallsNothing', 'stateRecordsWhatWasInstalled', 'a resolved fault reports its entry but installs none', FaultInstallsNothing),
];
