// Seeded bugs in the UVM VA space and its sysmem DMA allocations: each overrides exactly one method of the
// specification (for allocation bugs: the model's createMemOps, returning uvm_mem steps with one method
// overridden), the way such code really goes wrong. Each names the invariant that must catch it.

import type { FaultPlan } from '../../model/common/faults.js';
import type { Result } from '../../model/common/result.js';
import { ok } from '../../model/common/result.js';
import { bitsOf, UvmMemOps, type GpuIndex, type MemId } from '../../model/uvm-mem/index.js';
import { GPU_COUNT, gpuProc, isRegistered, procBit, UvmVaSpaceModel, type VaSpaceState } from '../../model/uvm-va-space/index.js';
import type { MutantDef } from '../harness/suite.js';
import {
  AlignDown,
  AlignWraps,
  AllocAndMapSkipsVmap,
  AnyChunkSizeAccepted,
  CpuMappingLeftEncrypted,
  FirstPageCountedTwice,
  FreeSkipsGpuUnmap,
  FreeSkipsVunmap,
  IommuFailureReportsNoMemory,
  IommuUnmapKeepsAccounting,
  MapCpuFailureKeepsAllocation,
  PageFailureKeepsPages,
  ZeroSizeAccepted,
} from '../uvm-mem/mutants.js';

// ----- registration -----

/** The registered_gpus test is missing: a second registration goes through and retains the GPU twice. */
class SkipDoubleRegistrationCheck extends UvmVaSpaceModel {
  override registrationRefusal(s: VaSpaceState, g: number): string | undefined {
    if (isRegistered(s, g)) {
      const others = s.registered;
      s.registered &= ~procBit(gpuProc(g));
      const refused = super.registrationRefusal(s, g);
      s.registered = others;
      return refused;
    }
    return super.registrationRefusal(s, g);
  }
}

/** The coherence loop compares the new GPU with itself, so it never refuses a mix. */
class CoherenceComparedWithItself extends UvmVaSpaceModel {
  override registrationRefusal(s: VaSpaceState, g: number): string | undefined {
    if (isRegistered(s, g)) return 'NV_ERR_INVALID_DEVICE';
    if (s.disallowNewRegisters) return 'NV_ERR_PAGE_TABLE_NOT_AVAIL';
    return undefined;
  }
}

/** The disallow_new_registers test is missing. */
class RegistrationIgnoresTeardown extends UvmVaSpaceModel {
  override registrationRefusal(s: VaSpaceState, g: number): string | undefined {
    const disallowed = s.disallowNewRegisters;
    s.disallowNewRegisters = false;
    const refused = super.registrationRefusal(s, g);
    s.disallowNewRegisters = disallowed;
    return refused;
  }
}

/** mm shutdown tears the mm down without setting disallow_new_registers first. */
class MmShutdownLeavesRegistrationsOpen extends UvmVaSpaceModel {
  override mmShutdown(s: VaSpaceState): Result {
    s.mmAlive = false;
    return ok();
  }
}

/** Registration ignores CC: gpu_can_access_sysmem stays true, so a CC GPU gets direct access to protected sysmem. */
class CcGpuKeepsSysmemAccess extends UvmVaSpaceModel {
  override addGpuToMasks(s: VaSpaceState, g: number, _canAccessSysmem: boolean): void {
    super.addGpuToMasks(s, g, true);
  }
}

/** unregister_gpu never frees gpu_unregister_dma_buffer back to the GPU's pool. */
class UnregisterKeepsCcBuffer extends UvmVaSpaceModel {
  override unregisterGpuLocked(s: VaSpaceState, g: number): void {
    const held = s.unregisterDmaBuffer[g] ?? false;
    const taken = s.ccPoolTaken[g] ?? 0;
    super.unregisterGpuLocked(s, g);
    s.unregisterDmaBuffer[g] = held;
    s.ccPoolTaken[g] = taken;
  }
}

/**
 * As upstream (commit 41595798880394d9c6fa5e76b37ffc1bc428cfb2): when uvm_processor_mask_cache_alloc fails after
 * the CC buffer was taken, the code jumps to `done`, which does not give the buffer back.
 */
class MaskAllocFailureKeepsCcBuffer extends UvmVaSpaceModel {
  override returnUnregisterDmaBuffer(s: VaSpaceState, g: number): void {
    if (!s.peersToRelease[g]) return; // reached from the peers_to_release failure, before any mask was set
    super.returnUnregisterDmaBuffer(s, g);
  }
}

/** The `done` path releases the GPU but forgets uvm_gpu_access_counters_disable. */
class FailedRegistrationKeepsAccessCounters extends UvmVaSpaceModel {
  override releaseAfterFailedRegistration(s: VaSpaceState, g: number): void {
    s.gpuRetained[g] = (s.gpuRetained[g] ?? 0) - 1;
  }
}

/** disable_peers clears only gpu0's view of gpu1: gpu1 keeps peer bits for a GPU that is gone. */
class DisablePeersOneDirection extends UvmVaSpaceModel {
  override disablePeers(s: VaSpaceState, g0: number, g1: number): void {
    const [p0, p1] = [gpuProc(g0), gpuProc(g1)];
    const arrays = [s.canAccess, s.accessibleFrom, s.canCopyFrom, s.hasNvlink, s.hasNativeAtomics];
    const keep = arrays.map((arr) => arr[p1] ?? 0);
    super.disablePeers(s, g0, g1);
    arrays.forEach((arr, i) => (arr[p1] = keep[i] ?? 0));
  }
}

/** Registration sets accessible_from[gpu][cpu] where accessible_from[cpu][gpu] was meant. */
class AccessibleFromTransposed extends UvmVaSpaceModel {
  override addGpuToMasks(s: VaSpaceState, g: number, canAccessSysmem: boolean): void {
    super.addGpuToMasks(s, g, canAccessSysmem);
    if (!canAccessSysmem) return;
    const p = gpuProc(g);
    s.accessibleFrom[0] = (s.accessibleFrom[0] ?? 0) & ~procBit(p);
    s.accessibleFrom[p] = (s.accessibleFrom[p] ?? 0) | procBit(0);
  }
}

/** VA-space creation forgets can_copy_from[cpu][cpu]. */
class CreateForgetsCpuCopy extends UvmVaSpaceModel {
  override initCpuMasks(s: VaSpaceState): void {
    super.initCpuMasks(s);
    s.canCopyFrom[0] = 0;
  }
}

/** unregister_gpu clears the CPU's whole can_access row instead of the GPU's bit in it. */
class UnregisterClearsCpuRow extends UvmVaSpaceModel {
  override removeGpuFromMasks(s: VaSpaceState, g: number): void {
    super.removeGpuFromMasks(s, g);
    s.canAccess[0] = 0;
  }
}

/** uvm_va_space_unregister_gpu never drops the VA space's reference on the GPU. */
class UnregisterForgetsRelease extends UvmVaSpaceModel {
  override unregisterGpu(s: VaSpaceState, g: number): Result {
    const retained = s.gpuRetained[g] ?? 0;
    const result = super.unregisterGpu(s, g);
    if (result.ok) s.gpuRetained[g] = retained;
    return result;
  }
}

/** unregister_gpu leaves the VA space's allocations mapped on the GPU that leaves. */
class UnregisterKeepsMemMappings extends UvmVaSpaceModel {
  override unmapGpuFromAllocations(_s: VaSpaceState, _g: number): void {}
}

// ----- sysmem DMA allocations (one uvm_mem.c method overridden: properties/uvm-mem/mutants.ts) -----

/** A model whose uvm_mem steps come from `Ops`: the one place a uvm_mem.c bug is seeded. */
function withMemOps(Ops: new () => UvmMemOps): new () => UvmVaSpaceModel {
  return class extends UvmVaSpaceModel {
    protected override createMemOps(): UvmMemOps {
      return new Ops();
    }
  };
}

// ----- the mapping calls -----

/** uvm_mem_map_cpu_kernel returns success without the vmap. */
class MapCpuReturnsWithoutVmap extends UvmVaSpaceModel {
  override memMapCpu(): Result {
    return ok();
  }
}

/** uvm_mem_unmap_gpu_kernel is skipped: the call returns with the PTEs still in place. */
class UnmapGpuKeepsPtes extends UvmVaSpaceModel {
  override memUnmapGpu(s: VaSpaceState, _id: MemId, g: GpuIndex): Result {
    return this.gpuUsable(s, g) ? ok() : super.memUnmapGpu(s, _id, g);
  }
}

/** uvm_mem_unmap_gpu_phys drops the kernel mapping but keeps the IOMMU mappings. */
class UnmapGpuPhysKeepsIommu extends UvmVaSpaceModel {
  override memUnmapGpuPhys(s: VaSpaceState, id: MemId, g: GpuIndex): Result {
    return this.memUnmapGpu(s, id, g);
  }
}

/** uvm_mem_free returns before freeing (a refcount taken twice, say): the allocation stays. */
class FreeKeepsAllocation extends UvmVaSpaceModel {
  override memFree(): Result {
    return ok();
  }
}

// ----- what a successful call did (effect rules) -----

/** The VA space takes memory encryption as off whatever the machine says (sev_enabled read before it is set). */
class CreateIgnoresSev extends UvmVaSpaceModel {
  override create(s: VaSpaceState, _sevEnabled: boolean, faults: FaultPlan): Result {
    return super.create(s, false, faults);
  }
}

/** unregister_gpu unmaps the VA space's allocations from every GPU they are mapped on, not only the leaving one. */
class UnregisterUnmapsOtherGpus extends UvmVaSpaceModel {
  override unmapGpuFromAllocations(s: VaSpaceState, g: number): void {
    super.unmapGpuFromAllocations(s, g);
    for (const id of [...s.mem.mems.keys()]) {
      const m = s.mem.mems.get(id);
      if (m !== undefined) for (const other of bitsOf(m.mappedOnPhys)) this.mem.unmapGpuPhys(s.mem, id, other);
    }
  }
}

/** mm shutdown unregisters every GPU, as if the VA space were being destroyed. */
class MmShutdownUnregistersGpus extends UvmVaSpaceModel {
  override mmShutdown(s: VaSpaceState): Result {
    for (let g = 0; g < GPU_COUNT; g++) if (isRegistered(s, g)) this.unregisterGpu(s, g);
    return super.mmShutdown(s);
  }
}

/** The kernel unmap calls do not look the GPU up in the VA space: on a GPU it does not have they return OK. */
class UnmapOnUnregisteredGpuSucceeds extends UvmVaSpaceModel {
  override memUnmapGpu(s: VaSpaceState, id: MemId, g: GpuIndex): Result {
    this.mem.unmapGpuKernel(s.mem, id, g);
    return ok();
  }
}

const mutant = (
  name: string,
  property: 'registration' | 'sysmemAllocation',
  breaks: string,
  minimalLength: number,
  description: string,
  Model: new () => UvmVaSpaceModel,
): MutantDef<VaSpaceState> => ({ name, property, breaks, minimalLength, description, createModel: () => new Model() });

export const vaSpaceMutants: readonly MutantDef<VaSpaceState>[] = [
  mutant('skipDoubleRegistrationCheck', 'registration', 'doubleRegistrationIsRejected', 3, 'register_gpu does not test registered_gpus', SkipDoubleRegistrationCheck),
  mutant('coherenceComparedWithItself', 'registration', 'coherentAndNonCoherentNeverMix', 3, 'the coherence check compares the new GPU with itself', CoherenceComparedWithItself),
  mutant('registrationIgnoresTeardown', 'registration', 'noRegistrationAfterTeardown', 3, 'register_gpu does not test disallow_new_registers', RegistrationIgnoresTeardown),
  mutant('mmShutdownLeavesRegistrationsOpen', 'registration', 'mmShutdownOnlyClosesRegistration', 2, 'mm shutdown does not set disallow_new_registers', MmShutdownLeavesRegistrationsOpen),
  mutant('ccGpuKeepsSysmemAccess', 'registration', 'ccGpuNeverAccessesSysmem', 2, 'a CC GPU is given can_access to the CPU', CcGpuKeepsSysmemAccess),
  mutant('unregisterKeepsCcBuffer', 'registration', 'ccGpuHoldsItsUnregisterBuffer', 2, 'unregister_gpu does not free gpu_unregister_dma_buffer', UnregisterKeepsCcBuffer),
  mutant('maskAllocFailureKeepsCcBuffer', 'registration', 'failedRegistrationLeavesNoTrace', 2, 'a peers_to_release allocation failure keeps the CC buffer (goto done)', MaskAllocFailureKeepsCcBuffer),
  mutant('failedRegistrationKeepsAccessCounters', 'registration', 'failedRegistrationLeavesNoTrace', 2, 'the done path does not disable the access counters', FailedRegistrationKeepsAccessCounters),
  mutant('disablePeersOneDirection', 'registration', 'masksMatchRegisteredGpus', 3, 'disable_peers clears only one direction of the peer bits', DisablePeersOneDirection),
  mutant('accessibleFromTransposed', 'registration', 'masksMatchRegisteredGpus', 2, 'registration sets accessible_from[gpu][cpu] instead of accessible_from[cpu][gpu]', AccessibleFromTransposed),
  mutant('createForgetsCpuCopy', 'registration', 'cpuAlwaysAccessesItself', 1, 'VA-space creation does not set can_copy_from[cpu][cpu]', CreateForgetsCpuCopy),
  mutant('unregisterClearsCpuRow', 'registration', 'cpuAlwaysAccessesItself', 2, "unregister_gpu clears the CPU's whole can_access row", UnregisterClearsCpuRow),
  mutant('unregisterForgetsRelease', 'registration', 'gpuReferencesMatchRegistration', 3, 'unregister does not release the GPU', UnregisterForgetsRelease),
  mutant('zeroSizeAccepted', 'sysmemAllocation', 'zeroSizeAllocationIsRejected', 3, 'uvm_mem_alloc accepts size 0', withMemOps(ZeroSizeAccepted)),
  mutant('anyChunkSizeAccepted', 'sysmemAllocation', 'dmaChunkIsOnePage', 3, 'DMA sysmem accepts a chunk size other than PAGE_SIZE', withMemOps(AnyChunkSizeAccepted)),
  mutant('alignDown', 'sysmemAllocation', 'allocationCoversRequestedSize', 3, 'the physical size is aligned down, not up', withMemOps(AlignDown)),
  mutant('alignWraps', 'sysmemAllocation', 'allocationCoversRequestedSize', 3, 'aligning a size near 2^64 up wraps to zero chunks', withMemOps(AlignWraps)),
  mutant('pageFailureKeepsPages', 'sysmemAllocation', 'failedAllocationLeaksNothing', 3, 'a failed page allocation keeps the pages made so far', withMemOps(PageFailureKeepsPages)),
  mutant('mapCpuFailureKeepsAllocation', 'sysmemAllocation', 'failedAllocationLeaksNothing', 3, 'alloc-and-map returns the vmap error without freeing', withMemOps(MapCpuFailureKeepsAllocation)),
  mutant('firstPageCountedTwice', 'sysmemAllocation', 'mappedCpuPagesSizeIsExact', 3, 'the first DMA page is added to mapped_cpu_pages_size twice', withMemOps(FirstPageCountedTwice)),
  mutant('iommuUnmapKeepsAccounting', 'sysmemAllocation', 'mappedCpuPagesSizeIsExact', 6, 'an IOMMU unmap does not subtract from mapped_cpu_pages_size', withMemOps(IommuUnmapKeepsAccounting)),
  mutant('cpuMappingLeftEncrypted', 'sysmemAllocation', 'cpuMappingIsDecryptedUnderEncryption', 3, 'the kernel CPU mapping keeps PAGE_KERNEL under SEV', withMemOps(CpuMappingLeftEncrypted)),
  mutant('freeSkipsGpuUnmap', 'sysmemAllocation', 'noMappingOutlivesItsMemory', 5, 'uvm_mem_free does not unmap the kernel GPU mappings', withMemOps(FreeSkipsGpuUnmap)),
  mutant('freeSkipsVunmap', 'sysmemAllocation', 'noMappingOutlivesItsMemory', 4, 'uvm_mem_free does not unmap the kernel CPU mapping', withMemOps(FreeSkipsVunmap)),
  mutant('mapCpuReturnsWithoutVmap', 'sysmemAllocation', 'mappingCallsDoWhatTheyAsk', 4, 'uvm_mem_map_cpu_kernel succeeds without the vmap', MapCpuReturnsWithoutVmap),
  mutant('unmapGpuKeepsPtes', 'sysmemAllocation', 'mappingCallsDoWhatTheyAsk', 5, 'uvm_mem_unmap_gpu_kernel returns with the PTEs in place', UnmapGpuKeepsPtes),
  mutant('unmapGpuPhysKeepsIommu', 'sysmemAllocation', 'mappingCallsDoWhatTheyAsk', 6, 'uvm_mem_unmap_gpu_phys keeps the IOMMU mappings', UnmapGpuPhysKeepsIommu),
  mutant('freeKeepsAllocation', 'sysmemAllocation', 'mappingCallsDoWhatTheyAsk', 4, 'uvm_mem_free returns without freeing', FreeKeepsAllocation),
  mutant('unregisterKeepsMemMappings', 'sysmemAllocation', 'noMappingOnUnregisteredGpu', 6, 'unregister_gpu leaves the allocations mapped on the GPU', UnregisterKeepsMemMappings),
  mutant('createIgnoresSev', 'sysmemAllocation', 'createStartsAnEmptyVaSpace', 1, 'the VA space takes memory encryption as off on an SEV machine', CreateIgnoresSev),
  mutant('unregisterUnmapsOtherGpus', 'sysmemAllocation', 'registrationCallsDoWhatTheyAsk', 7, 'unregister_gpu unmaps the allocations from every GPU, not only the leaving one', UnregisterUnmapsOtherGpus),
  mutant('mmShutdownUnregistersGpus', 'registration', 'mmShutdownOnlyClosesRegistration', 3, 'mm shutdown unregisters every GPU', MmShutdownUnregistersGpus),
  mutant('allocAndMapSkipsVmap', 'sysmemAllocation', 'allocationCallsDoWhatTheyAsk', 3, 'alloc-and-map-on-the-CPU returns the allocation unmapped', withMemOps(AllocAndMapSkipsVmap)),
  mutant('iommuFailureReportsNoMemory', 'sysmemAllocation', 'failureReportsTheFailedStep', 5, 'an IOMMU mapping error is reported as NV_ERR_NO_MEMORY', withMemOps(IommuFailureReportsNoMemory)),
  mutant('unmapOnUnregisteredGpuSucceeds', 'sysmemAllocation', 'callsNamingAnUnregisteredGpuAreRefused', 4, 'uvm_mem_unmap_gpu_kernel on a GPU outside the VA space returns OK', UnmapOnUnregisteredGpuSucceeds),
];
