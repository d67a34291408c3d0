// Seeded bugs in the stage-2 decision: each overrides exactly one step, the way this code went wrong in the
// review rounds of 002 and its successors, and names the invariant that must catch it.

import type { DeviceRegion, HostVma, MemType } from '../../model/nvgrace-gpu/host-mapping.js';
import { KvmStage2Model, type FaultInput, type GuestAttr, type PfnmapPolicy, type Stage2State } from '../../model/kvm-stage2/index.js';
import type { MutantDef } from '../harness/suite.js';

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

const mutant = (name: string, breaks: string, description: string, Model: new () => KvmStage2Model): MutantDef<Stage2State> => ({
  name,
  breaks,
  minimalLength: 1,
  description,
  property: 'stage2Faults',
  createModel: () => new Model(),
});

export const stage2Mutants: readonly MutantDef<Stage2State>[] = [
  mutant('trustPgprotWithoutFwb', 'cacheableOnlyWithFwb', "the VMA's Normal pgprot is trusted without FWB and DIC", TrustPgprotWithoutFwb),
  mutant('vmIoTreatedAsCacheable', 'ioMappingWithNormalProtectionIsNeverCacheable', 'VM_IO mappings are mapped cacheable whatever their pgprot', VmIoTreatedAsCacheable),
  mutant('ignoreMteCheck', 'mteWithoutMteAllowedIsNeverCacheable', 'the VM_MTE_ALLOWED check is skipped in an MTE VM', IgnoreMteCheck),
  mutant('denyExecOnVmIo', 'execOnlyWhereTheSourceAllowsIt', 'exec faults are refused on every VM_IO mapping, Normal cacheable ones included', DenyExecOnVmIo),
  mutant('combineIgnoresFwb', 'guestCannotOverrideCacheabilityWithFwb', 'stage 1 and 2 combined without regard to FWB', CombineIgnoresFwb),
  mutant('combineWeakerWins', 'noMismatchedCacheabilityAlias', 'without FWB the less restrictive attribute wins', CombineWeakerWins),
  mutant('nvgraceMapsResmemCacheable', 'resmemIsNeverCacheableInTheGuest', 'the nvgrace mmap maps resmem cacheable', NvgraceMapsResmemCacheable),
  mutant('vmIoForcesNoncacheable', 'usememIsCacheableInTheGuestWithFwb', "002's literal rule: VM_IO forces non-cacheable, so usemem is uncached in the guest", VmIoForcesNoncacheable),
];
